"""The hub fields a sync rule may name (hub.sdk.sync_fields): their values as text and back,
the checks a rule passes on save, and the organisation names its value maps hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from connectors.rt.config import RTConfig
from hub.sdk.sync import FieldRule, FieldRuleSchema, RemoteRecord, draft_for
from hub.sdk.sync_fields import (
    CHANGE_STATES,
    INCIDENT_STATES,
    SYNCED_FIELDS,
    field_problem,
    hub_field,
    hub_text,
    hub_value,
    ticket_value,
)
from hub.sdk.sync_rules import outbound_values
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


def test_a_custom_field_is_a_rule_field_by_its_name() -> None:
    assert field_problem("custom:serial") is None  # whether it is defined is checked on save
    assert "no custom field name" in str(field_problem("custom:Serial Number"))
    assert "Unknown hub field 'serial'" in str(field_problem("serial"))
    assert field_problem("ci") is None
    assert (hub_field("custom:lot").kind, hub_field("custom:lot").custom_name) == ("custom", "lot")
    assert hub_field("ci").custom_name is None
    with pytest.raises(KeyError):
        hub_field("serial")
    FieldRuleSchema().load({"field": "custom:vip", "remote": "u_vip", "values_in": {"true": "yes"}})


def test_a_custom_value_reads_from_custom_fields_as_text() -> None:
    ticket = SimpleNamespace(kind="incident", title="Leak", custom_fields={
        "lot": "A-7", "weight": 12, "ratio": 2.5, "due": "2026-12-24", "vip": "yes", "server": "srv-db-01"})
    assert [hub_text(name, ticket_value(ticket, f"custom:{name}")) for name in
            ("lot", "weight", "ratio", "due", "vip", "server", "unset")] == [
        "A-7", "12", "2.5", "2026-12-24", "yes", "srv-db-01", ""]
    assert hub_text("custom:weight", 3.0) == "3"
    rules = [FieldRule("custom:lot", "u_lot"), FieldRule("custom:vip", "u_vip", values_in={"true": "yes"})]
    assert outbound_values(rules, ticket) == {"u_lot": "A-7", "u_vip": "true"}  # type: ignore[arg-type]


def test_a_custom_value_goes_into_the_drafts_custom_fields() -> None:
    rules = [FieldRule("title", "short_description"), FieldRule("custom:lot", "u_lot"),
             FieldRule("custom:vip", "u_vip", values_in={"true": "yes", "false": "no"})]
    record = RemoteRecord(kind="incident", external_id="9",
                          fields={"short_description": "Leak", "u_lot": "A-7", "u_vip": "true"})
    assert draft_for(record, rules).custom_fields == {"lot": "A-7", "vip": "yes"}
    assert draft_for(RemoteRecord(kind="incident", external_id="9", fields={"u_lot": ""}), rules).custom_fields == {
        "lot": None}


DEFINED = {"lot": ("text", ()), "vip": ("choice", ("yes", "no"))}


@pytest.mark.parametrize(("rule", "errors"), [
    ({"field": "custom:lot", "remote": "u_lot"}, {}),
    ({"field": "custom:vip", "remote": "u_vip", "values_in": {"true": "yes", "false": "no"}}, {}),
    ({"field": "title", "remote": "Subject"}, {}),
    ({"field": "custom:serial", "remote": "u_serial"},
     {"field_map.0.field": ["No custom field 'serial'; the defined ones: custom:lot, custom:vip."]}),
    ({"field": "custom:vip", "remote": "u_vip", "values_in": {"true": "ja"}, "values_out": {"maybe": "x", "*": "y"}},
     {"field_map.0.values_in": ["'true' maps to 'ja' is no option of the field; use one of yes, no."],
      "field_map.0.values_out": ["'maybe' is no option of the field; use one of yes, no."]}),
    ({"field": "custom:lot", "remote": "u_lot", "values_in": {"x": "anything"}}, {}),  # text: any value
])
def test_a_custom_rule_is_checked_against_the_defined_fields(rule: dict[str, object],
                                                            errors: dict[str, list[str]]) -> None:
    assert RTConfig.custom_field_problems({"field_map": [rule]}, DEFINED) == errors


def test_with_no_custom_field_defined_the_error_says_where_to_define_one() -> None:
    (message,) = RTConfig.custom_field_problems({"field_map": [{"field": "custom:lot", "remote": "CF.Lot"}]}, {})[
        "field_map.0.field"]
    assert "none yet (Admin > Custom fields)" in message


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
        {"field": "custom:lot", "remote": "CF.Lot", "values_in": {"A": "lot-a"}},
    ]}

    found = [(ref.kind, ref.name, ref.path) for ref in RTConfig.org_references(config)]

    assert found == [("group", "network", "field_map.0.values_in.Network team"),
                     ("ci", "ups-01", "field_map.1.values_in.UPS 1")]
