"""Field depth with Jira (issue 25 point 3): priority, components, custom fields (an option, a
text and the change window's date-times), both ways, with value maps and per-field
direction, against the REST v3 double; a field Jira will not take is a readable delivery
error, and what the hub wrote is never read back as a Jira edit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import OutboxMessage
from tests.connectors.jira.test_sync import Server, add_instance
from tests.connectors.jira.test_sync import app_config as app_config  # the plugin, quick retries
from tests.connectors.jira.test_sync import quick_inline_retries as quick_inline_retries
from tests.fakes.fixtures import jira_server  # noqa: F401 - a fixture
from tests.support.jobs import drain, nothing_pending

PRIORITY_IN = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}


def jira_site(server: Server) -> dict[str, str]:
    fake = server.fake
    for name in ("Network", "Power"):
        fake.add_component("ITSM", name)
    return {"team": fake.add_custom_field("Team", "option", ["Network team", "Facilities"]),
            "ci": fake.add_custom_field("Affected CI"),
            "start": fake.add_custom_field("Change start date", "datetime"),
            "end": fake.add_custom_field("Change completion date", "datetime")}


def rules(ids: dict[str, str], **overrides: dict[str, Any]) -> list[dict[str, Any]]:
    base: dict[str, dict[str, Any]] = {
        "title": {"field": "title", "remote": "summary"},
        "priority": {"field": "priority", "remote": "priority", "values_in": PRIORITY_IN},
        "category": {"field": "category", "remote": "components",
                     "values_in": {"Network": "network", "Power": "power"}},
        "group": {"field": "group", "remote": ids["team"], "values_in": {"Network team": "network"}},
        "ci": {"field": "ci", "remote": ids["ci"]},
        "planned_start": {"field": "planned_start", "remote": ids["start"], "kind": "change"},
        "planned_end": {"field": "planned_end", "remote": ids["end"], "kind": "change"},
    }
    for name, rule in overrides.items():
        base[name] = {**base[name], **rule}
    return list(base.values())


@pytest.fixture
def hub_org(api: Any) -> None:
    assert api.post("/api/v1/groups", json={"slug": "network", "name": "Network"}).status_code == 201
    for slug in ("network", "power"):
        assert api.post("/api/v1/categories", json={"slug": slug, "name": slug.title()}).status_code == 201
    for key in ("core-sw-1", "core-sw-2"):
        assert api.post("/api/v1/configuration-items", json={"key": key, "name": key}).status_code == 201


def only_change(api: Any) -> dict[str, Any]:
    (item,) = api.get("/api/v1/changes?limit=10").json["items"]
    return api.get(f"/api/v1/changes/{item['ref']}").json  # type: ignore[no-any-return]


def audit(api: Any, ref: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/changes/{ref}/audit?limit=500").json  # type: ignore[no-any-return]


def new_change(server: Server, summary: str, **fields: Any) -> str:
    issue = server.fake.create_issue("ITSM", summary, issuetype="Change", priority=fields.pop("priority", "Medium"))
    if fields:
        server.fake.update_issue(issue["key"], **fields)
    return str(issue["key"])


def settle(app: Any, runtime: Any, instance: int) -> None:
    drain(app, until=lambda: nothing_pending(runtime))
    assert run_poll(runtime, instance)["status"] == "ok"
    drain(app, until=lambda: nothing_pending(runtime))


def test_a_jira_change_brings_priority_components_and_custom_fields(api: Any, runtime: Any, hub_org: None,
                                                                     jira_server: Server) -> None:  # noqa: F811
    ids = jira_site(jira_server)
    instance = add_instance(api, jira_server, field_map=rules(ids))
    new_change(jira_server, "Replace core switch", priority="High", components=["Network"], custom={
        ids["team"]: "Network team", ids["ci"]: "core-sw-1", ids["start"]: "2026-12-10T23:00:00+01:00",
        ids["end"]: "2026-12-11T03:00:00+01:00"})

    assert run_poll(runtime, instance)["status"] == "ok"

    change = only_change(api)
    assert (change["priority"], change["category"], change["group"], change["ci"]) == (2, "network", "network",
                                                                                       "core-sw-1")
    assert (change["planned_start"][:19], change["planned_end"][:19]) == ("2026-12-10T22:00:00", "2026-12-11T02:00:00")


def test_hub_changes_reach_jira_and_are_not_read_back(api: Any, app: Any, runtime: Any, hub_org: None,
                                                      jira_server: Server) -> None:  # noqa: F811
    ids = jira_site(jira_server)
    instance = add_instance(api, jira_server, field_map=rules(ids))
    key = new_change(jira_server, "Rewire the UPS")
    assert run_poll(runtime, instance)["status"] == "ok"
    ref = only_change(api)["ref"]

    response = api.patch(f"/api/v1/changes/{ref}", json={
        "priority": 1, "category": "power", "group": "network", "ci": "core-sw-2",
        "planned_start": "2026-12-12T20:00:00+01:00", "planned_end": "2026-12-12T23:30:00+01:00"})
    assert response.status_code == 200, response.json
    settle(app, runtime, instance)

    issue = jira_server.fake.issue(key)
    assert (issue["priority"], issue["components"]) == ("Highest", ["Power"])
    assert issue["custom"][ids["team"]] == "Network team" and issue["custom"][ids["ci"]] == "core-sw-2"
    assert issue["custom"][ids["start"]][:19] == "2026-12-12T19:00:00"
    edits = len([r for r in jira_server.fake.received() if r.method == "PUT"])
    before = audit(api, ref)

    settle(app, runtime, instance)  # reads back what the hub wrote: no edit in the hub, nothing sent again

    assert audit(api, ref) == before
    assert len([r for r in jira_server.fake.received() if r.method == "PUT"]) == edits
    assert only_change(api)["priority"] == 1


def test_each_field_flows_only_its_own_way(api: Any, app: Any, runtime: Any, hub_org: None,
                                           jira_server: Server) -> None:  # noqa: F811
    ids = jira_site(jira_server)
    instance = add_instance(api, jira_server, field_map=rules(ids, ci={"direction": "in"},
                                                              category={"direction": "out"}))
    key = new_change(jira_server, "Swap the core switch", components=["Network"], custom={ids["ci"]: "core-sw-1"})
    assert run_poll(runtime, instance)["status"] == "ok"
    change = only_change(api)
    assert (change["ci"], change["category"]) == ("core-sw-1", None)

    api.patch(f"/api/v1/changes/{change['ref']}", json={"ci": "core-sw-2", "category": "power"})
    settle(app, runtime, instance)

    issue = jira_server.fake.issue(key)
    assert issue["custom"][ids["ci"]] == "core-sw-1"  # in only: the hub's item is not sent
    assert issue["components"] == ["Power"]
    jira_server.fake.update_issue(key, components=["Network"])
    settle(app, runtime, instance)
    assert only_change(api)["category"] == "power"  # out only: Jira's component is not read


def test_a_field_jira_will_not_take_is_a_readable_delivery_error(api: Any, app: Any, runtime: Any, hub_org: None,
                                                                 jira_server: Server) -> None:  # noqa: F811
    instance = add_instance(api, jira_server, field_map=[{"field": "title", "remote": "summary"},
                                                         {"field": "ci", "remote": "customfield_19999"}])
    new_change(jira_server, "Label the racks")
    assert run_poll(runtime, instance)["status"] == "ok"
    ref = only_change(api)["ref"]

    api.patch(f"/api/v1/changes/{ref}", json={"ci": "core-sw-1"})
    drain(app, until=lambda: nothing_pending(runtime))

    with runtime.db.reading() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id.is_not(None)))
        assert message.status == "dead"
        assert "Jira refused customfield_19999 (the hub's ci)" in message.last_error
        assert "cannot be set" in message.last_error
    assert run_poll(runtime, instance)["status"] == "ok"


def test_labels_are_not_a_rule_target(api: Any, jira_server: Server) -> None:  # noqa: F811
    body = {"connector": "jira", "slug": "jira", "config": {
        "site_url": jira_server.url, "email": "hub@example.com", "api_token": "jira-token", "project": "ITSM",
        "field_map": [{"field": "category", "remote": "labels"}]}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 422
    assert "reference label" in str(response.json["errors"]["config.field_map"])
