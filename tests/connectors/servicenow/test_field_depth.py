"""Field depth with ServiceNow (issue 25 point 3): category, assignment group, CI, priority and a
change's planned window, both ways, with value maps and per-field direction, against the
Table API double (reference fields hold sys_ids; dates are UTC ``YYYY-MM-DD HH:MM:SS``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import OutboxMessage
from tests.connectors.servicenow.test_sync import Server, add_instance
from tests.connectors.servicenow.test_sync import app_config as app_config  # the plugin, a quick backoff
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.support.jobs import drain

GROUP_MAP = {"values_in": {"Network": "network", "Service Desk": "desk"}}


def hub_org(api: Any) -> None:
    for slug, name in (("network", "Network team"), ("desk", "Service desk")):
        assert api.post("/api/v1/groups", json={"slug": slug, "name": name}).status_code == 201
    for slug in ("security", "facilities"):
        assert api.post("/api/v1/categories", json={"slug": slug, "name": slug.title()}).status_code == 201
    for key in ("srv-db-01", "srv-web-02"):
        assert api.post("/api/v1/configuration-items", json={"key": key, "name": key}).status_code == 201


def rules(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    base: dict[str, dict[str, Any]] = {
        "title": {"field": "title", "remote": "short_description"},
        "status": {"field": "status", "remote": "state", "kind": "change",
                   "values_in": {"-5": "draft", "-1": "implementing", "3": "closed"}},
        "category": {"field": "category", "remote": "category"},
        "group": {"field": "group", "remote": "assignment_group", **GROUP_MAP},
        "ci": {"field": "ci", "remote": "cmdb_ci"},
        "planned_start": {"field": "planned_start", "remote": "start_date", "kind": "change"},
        "planned_end": {"field": "planned_end", "remote": "end_date", "kind": "change"},
    }
    for name, rule in overrides.items():
        base[name] = {**base[name], **rule}
    return list(base.values())


@pytest.fixture
def sn(api: Any, servicenow_server: Server) -> tuple[Server, int]:  # noqa: F811
    servicenow_server.fake.user_timezone = "UTC"
    hub_org(api)
    return servicenow_server, add_instance(api, servicenow_server, tables=["change_request"], field_map=rules())


def only_change(api: Any) -> dict[str, Any]:
    (item,) = api.get("/api/v1/changes?limit=10").json["items"]
    return api.get(f"/api/v1/changes/{item['ref']}").json  # type: ignore[no-any-return]


def audit(api: Any, ref: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/changes/{ref}/audit?limit=500").json  # type: ignore[no-any-return]


def test_a_remote_change_brings_its_group_ci_category_and_window(api: Any, runtime: Any,
                                                                 sn: tuple[Server, int]) -> None:
    server, instance = sn
    group, ci = server.fake.add_group("Network"), server.fake.add_ci("srv-db-01")
    server.fake.create_record("change_request", short_description="Patch the database server", category="network",
                              assignment_group=group, cmdb_ci=ci, start_date="2026-12-10 22:00:00",
                              end_date="2026-12-11 02:00:00")

    assert run_poll(runtime, instance)["status"] == "ok"

    change = only_change(api)
    assert (change["category"], change["group"], change["ci"]) == ("network", "network", "srv-db-01")
    assert (change["planned_start"][:19], change["planned_end"][:19]) == ("2026-12-10T22:00:00", "2026-12-11T02:00:00")


def test_hub_changes_reach_servicenow_by_sys_id_and_are_not_read_back(api: Any, app: Any, runtime: Any,
                                                                      sn: tuple[Server, int]) -> None:
    server, instance = sn
    desk, web = server.fake.add_group("Service Desk"), server.fake.add_ci("srv-web-02")
    sys_id = server.fake.create_record("change_request", short_description="Renew certificates")["sys_id"]
    run_poll(runtime, instance)
    ref = only_change(api)["ref"]

    response = api.patch(f"/api/v1/changes/{ref}", json={
        "group": "desk", "ci": "srv-web-02", "category": "security",
        "planned_start": "2026-12-12T20:00:00+01:00", "planned_end": "2026-12-12T23:30:00+01:00"})
    assert response.status_code == 200, response.json
    drain(app)

    remote = server.fake.record("change_request", sys_id)
    assert (remote["assignment_group"], remote["cmdb_ci"], remote["category"]) == (desk, web, "security")
    assert (remote["start_date"], remote["end_date"]) == ("2026-12-12 19:00:00", "2026-12-12 22:30:00")
    mods, before = remote["sys_mod_count"], audit(api, ref)

    run_poll(runtime, instance)  # reads back exactly what the hub wrote: no change, nothing sent
    drain(app)

    assert server.fake.record("change_request", sys_id)["sys_mod_count"] == mods
    assert audit(api, ref) == before
    assert only_change(api)["group"] == "desk"


def test_each_field_flows_only_its_own_way(api: Any, app: Any, runtime: Any, servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    server.fake.user_timezone = "UTC"
    hub_org(api)
    instance = add_instance(api, server, tables=["change_request"], field_map=rules(
        category={"direction": "in"}, ci={"direction": "out"}, planned_end={"direction": "out"}))
    first, second = server.fake.add_ci("srv-db-01"), server.fake.add_ci("srv-web-02")
    sys_id = server.fake.create_record("change_request", short_description="Move racks", category="hardware",
                                       cmdb_ci=first, end_date="2026-12-20 10:00:00")["sys_id"]
    run_poll(runtime, instance)
    change = only_change(api)
    assert (change["category"], change["ci"], change["planned_end"]) == ("hardware", None, None)  # ci, end: out only

    api.patch(f"/api/v1/changes/{change['ref']}", json={"category": "facilities", "ci": "srv-web-02",
                                                          "planned_start": "2026-12-20T06:00:00Z",
                                                          "planned_end": "2026-12-20T12:00:00Z"})
    drain(app)
    remote = server.fake.record("change_request", sys_id)
    assert remote["category"] == "hardware"  # in only: the hub's category is not sent
    assert (remote["cmdb_ci"], remote["end_date"]) == (second, "2026-12-20 12:00:00")

    server.fake.update_record("change_request", sys_id, cmdb_ci=first, category="network")
    run_poll(runtime, instance)
    change = only_change(api)
    assert (change["category"], change["ci"]) == ("network", "srv-web-02")  # the remote ci is not read


def test_a_group_without_a_value_map_entry_is_named_not_forced(api: Any, runtime: Any,
                                                               sn: tuple[Server, int]) -> None:
    server, instance = sn
    server.fake.create_record("change_request", short_description="Swap UPS battery",
                              assignment_group=server.fake.add_group("Facilities"))

    assert run_poll(runtime, instance)["status"] == "ok"

    change = only_change(api)
    assert change["group"] is None
    notes = " ".join(str(a.get("note")) for a in audit(api, change["ref"]))
    assert "'Facilities' was not taken" in notes


def test_a_field_servicenow_lacks_is_a_readable_delivery_error(api: Any, app: Any, runtime: Any,
                                                               servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    hub_org(api)
    instance = add_instance(api, server, tables=["change_request"], field_map=[
        {"field": "title", "remote": "short_description"}, {"field": "ci", "remote": "u_affected_asset"}])
    server.fake.create_record("change_request", short_description="Rewire panel B")
    assert run_poll(runtime, instance)["status"] == "ok"
    ref = only_change(api)["ref"]

    api.patch(f"/api/v1/changes/{ref}", json={"ci": "srv-db-01", "title": "Rewire panel B2"})
    drain(app)

    with runtime.db.reading() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id.is_not(None)))
        assert message.status == "dead"
        assert "change_request table has no field u_affected_asset (the rule for the hub's ci)" in message.last_error
    assert run_poll(runtime, instance)["status"] == "ok"  # reading goes on


def test_a_group_servicenow_does_not_have_is_a_readable_delivery_error(api: Any, app: Any, runtime: Any,
                                                                      sn: tuple[Server, int]) -> None:
    server, instance = sn
    server.fake.create_record("change_request", short_description="Reboot core switch")
    run_poll(runtime, instance)
    ref = only_change(api)["ref"]

    api.patch(f"/api/v1/changes/{ref}", json={"group": "network"})  # maps to "Network", which SN lacks
    drain(app)

    with runtime.db.reading() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id.is_not(None)))
    assert message.status == "dead"
    assert "no sys_user_group record with name 'Network'" in message.last_error


@pytest.mark.parametrize(("rule", "path", "words"), [
    ({"field": "serial", "remote": "u_serial"}, "field", "Unknown hub field 'serial'"),
    ({"field": "custom:serial", "remote": "u_serial"}, "field", "No custom field 'serial'; the defined ones: none"),
    ({"field": "impact", "remote": "impact", "values_in": {"1": "huge"}}, "values_in", "'huge' is no hub impact"),
    ({"field": "priority", "remote": "priority", "values_out": {"7": "1"}}, "values_out", "'7' is no hub priority"),
    ({"field": "status", "remote": "state", "kind": "incident", "values_in": {"-1": "implementing"}}, "values_in",
     "'implementing' is no hub status"),
    ({"field": "planned_start", "remote": "start_date", "kind": "incident"}, "kind", "Only changes have"),
])
def test_a_rule_naming_what_the_hub_lacks_is_a_field_error(api: Any, servicenow_server: Server, rule: dict[str, Any],  # noqa: F811
                                                           path: str, words: str) -> None:
    body = {"connector": "servicenow", "slug": "sn", "config": {
        "instance_url": servicenow_server.url, "username": "admin", "password": "admin", "field_map": [rule]}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 422, response.json
    (messages,) = [text for key, text in response.json["errors"].items() if key == f"config.field_map.0.{path}"]
    assert any(words in text for text in messages), messages


def test_a_value_map_to_a_group_the_hub_lacks_is_a_field_error(api: Any, servicenow_server: Server) -> None:  # noqa: F811
    body = {"connector": "servicenow", "slug": "sn", "config": {
        "instance_url": servicenow_server.url, "username": "admin", "password": "admin",
        "field_map": [{"field": "group", "remote": "assignment_group", "values_in": {"Network": "netwrk"}}]}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code in (400, 422), response.json
    assert response.json["errors"] == {"config.field_map.0.values_in.Network": ["No group 'netwrk'."]}


def test_renaming_a_group_rewrites_the_value_map_that_names_it(api: Any, sn: tuple[Server, int]) -> None:
    refused = api.delete("/api/v1/groups/network")
    assert refused.status_code == 409 and refused.json["in_use"] == {"settings": 1}

    assert api.patch("/api/v1/groups/network", json={"slug": "net-ops"}).status_code == 200

    rules = api.get("/api/v1/admin/instances/sn").json["config"]["field_map"]
    (group,) = [rule for rule in rules if rule["field"] == "group"]
    assert group["values_in"] == {"Network": "net-ops", "Service Desk": "desk"}
