"""The hub fields a sync rule may name (hub.sdk.sync_fields): their values as text and back,
the checks a rule passes on save, and the organisation names its value maps hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from connectors.rt.config import RTConfig
from hub.sdk.sync import FieldRule, FieldRuleSchema, RemoteRecord, draft_for
from hub.sdk.sync_fields import (
    CHANGE_STATES,
    INCIDENT_STATES,
    SYNCED_FIELDS,
    field_problem,
    hub_text,
    hub_value,
)
from hub.tracker.states import MACHINES


def test_the_states_a_value_map_may_name_are_the_trackers() -> None:
    assert set(INCIDENT_STATES) == set(MACHINES["incident"].moves)
    assert set(CHANGE_STATES) == set(MACHINES["change"].moves)


def test_every_field_the_tracker_edits_by_name_can_be_synced() -> None:
    assert {"priority", "category", "group", "ci", "assignee", "planned_start", "planned_end"} <= set(SYNCED_FIELDS)


def test_a_moment_travels_as_utc_iso_text_to_the_second() -> None:
    berlin = timezone(timedelta(hours=1))
    assert hub_text("planned_start", datetime(2026, 12, 10, 23, 0, 0, 500, tzinfo=berlin)) == "2026-12-10T22:00:00Z"
    assert hub_value("planned_start", "2026-12-10T23:00:00+01:00") == datetime(2026, 12, 10, 22, tzinfo=UTC)
    assert hub_value("planned_end", "") is None
    with pytest.raises(ValueError, match="not an ISO 8601 date-time"):
        hub_value("planned_end", "next Tuesday")


def test_a_priority_travels_as_its_digit_and_only_one_to_five() -> None:
    assert (hub_text("priority", 2), hub_value("priority", "2")) == ("2", 2)
    with pytest.raises(ValueError, match="'7' is no hub priority"):
        hub_value("priority", "7")


def test_custom_fields_are_reserved_not_synced_yet() -> None:
    assert "custom fields are not synced yet" in str(field_problem("custom:serial"))
    assert "Unknown hub field 'serial'" in str(field_problem("serial"))
    assert field_problem("ci") is None


@pytest.mark.parametrize(("rule", "where"), [
    ({"field": "urgency", "remote": "Priority", "values_in": {"0": "lowest"}}, "values_in"),
    ({"field": "status", "remote": "Status", "kind": "change", "values_in": {"open": "in_progress"}}, "values_in"),
    ({"field": "planned_end", "remote": "Due", "values_out": {"tomorrow": "x"}}, "values_out"),
    ({"field": "planned_end", "remote": "Due", "kind": "incident"}, "kind"),
])
def test_a_rule_with_a_value_the_hub_cannot_hold_is_refused(rule: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as refused:
        FieldRuleSchema().load(rule)
    assert where in refused.value.messages


def test_a_remote_value_the_hub_cannot_hold_leaves_the_field_and_says_why() -> None:
    rules = [FieldRule("title", "Subject"), FieldRule("priority", "Priority"), FieldRule("planned_start", "Starts")]
    record = RemoteRecord(kind="change", external_id="7", fields={"Subject": "Swap UPS", "Priority": "42",
                                                                  "Starts": "2026-12-10T22:00:00Z"})

    draft = draft_for(record, rules)

    assert (draft.priority, draft.planned_start) == (None, datetime(2026, 12, 10, 22, tzinfo=UTC))
    assert draft.notes == ["Priority not taken for priority: '42' is no hub priority; use one of 1, 2, 3, 4, 5."]


def test_the_window_is_not_read_onto_an_incident() -> None:
    draft = draft_for(RemoteRecord(kind="incident", external_id="7", fields={"Starts": "2026-12-10T22:00:00Z"}),
                      [FieldRule("planned_start", "Starts")])
    assert draft.planned_start is None


def test_value_maps_name_their_groups_categories_items_and_users() -> None:
    config = {"field_map": [
        {"field": "group", "remote": "CF.Team", "values_in": {"Network team": "network", "a.b": "skipped"}},
        {"field": "ci", "remote": "CF.CI", "values_in": {"UPS 1": "ups-01"}},
        {"field": "urgency", "remote": "Priority", "values_in": {"100": "high"}},
        {"field": "assignee", "remote": "Owner", "values_in": {"Nobody": ""}},
    ]}

    found = [(ref.kind, ref.name, ref.path) for ref in RTConfig.org_references(config)]

    assert found == [("group", "network", "field_map.0.values_in.Network team"),
                     ("ci", "ups-01", "field_map.1.values_in.UPS 1")]
