"""Custom fields in ServiceNow sync rules (issue 21 point 5): the hub's ``lot`` (text) and ``vip``
(choice yes/no) kept in step with the columns u_lot and u_vip (true/false) both ways, against the
Table API double; a value the field cannot hold is left out and said, never failing the record."""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.servicenow.test_sync import Server, add_instance, only_incident
from tests.connectors.servicenow.test_sync import app_config as app_config  # the plugin, a quick backoff
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.support.jobs import drain

RULES = [
    {"field": "title", "remote": "short_description"},
    {"field": "custom:lot", "remote": "u_lot"},
    {"field": "custom:vip", "remote": "u_vip", "values_in": {"true": "yes", "false": "no"}},
]


def define_fields(api: Any) -> None:
    for body in ({"name": "lot", "label": "Lot", "type": "text"},
                 {"name": "vip", "label": "VIP", "type": "choice", "options": ["yes", "no"]},
                 {"name": "shift", "label": "Shift", "type": "text"}):
        response = api.post("/api/v1/custom-fields", json=body)
        assert response.status_code == 201, response.json


@pytest.fixture
def sn(api: Any, servicenow_server: Server) -> tuple[Server, int]:  # noqa: F811
    servicenow_server.fake.user_timezone = "UTC"
    for column in ("u_lot", "u_vip"):
        servicenow_server.fake.add_column("incident", column)
    define_fields(api)
    return servicenow_server, add_instance(api, servicenow_server, tables=["incident"], field_map=RULES)


def custom(api: Any) -> dict[str, Any]:
    """The incident's custom fields, without the number the connector keeps there."""
    values = dict(only_incident(api)["custom_fields"])
    values.pop("servicenow_number", None)
    return values


def audit(api: Any, ref: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json  # type: ignore[no-any-return]


def test_servicenow_values_reach_the_custom_fields_and_a_bad_one_is_left_out(api: Any, runtime: Any,
                                                                            sn: tuple[Server, int]) -> None:
    server, instance = sn
    sys_id = server.fake.create_record("incident", short_description="Pallet damaged", u_lot="L-42",
                                       u_vip="true")["sys_id"]
    assert run_poll(runtime, instance)["status"] == "ok"
    assert custom(api) == {"lot": "L-42", "vip": "yes"}
    ref = only_incident(api)["ref"]
    assert api.patch(f"/api/v1/incidents/{ref}", json={"custom_fields": {"shift": "night"}}).status_code == 200

    server.fake.update_record("incident", sys_id, u_lot="L-43", u_vip="maybe")  # maybe: no option of vip
    assert run_poll(runtime, instance)["status"] == "ok"

    # Merged: lot taken, vip left as it was, the hub's own shift kept.
    assert custom(api) == {"lot": "L-43", "vip": "yes", "shift": "night"}
    (skipped,) = [entry for entry in audit(api, ref) if entry["action"] == "sync_skipped"]
    assert "u_vip = 'maybe' was not taken for custom:vip: Must be one of: yes, no" in skipped["note"]


def test_hub_custom_values_reach_servicenow_and_are_not_read_back(api: Any, app: Any, runtime: Any,
                                                                 sn: tuple[Server, int]) -> None:
    server, instance = sn
    sys_id = server.fake.create_record("incident", short_description="Crate missing")["sys_id"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    response = api.patch(f"/api/v1/incidents/{ref}", json={"custom_fields": {"lot": "L-50", "vip": "no"}})
    assert response.status_code == 200, response.json
    drain(app)

    remote = server.fake.record("incident", sys_id)
    assert (remote["u_lot"], remote["u_vip"]) == ("L-50", "false")
    mods, before = remote["sys_mod_count"], audit(api, ref)

    run_poll(runtime, instance)  # reads back exactly what the hub wrote: no change, nothing sent
    drain(app)

    assert server.fake.record("incident", sys_id)["sys_mod_count"] == mods
    assert audit(api, ref) == before
    assert custom(api) == {"lot": "L-50", "vip": "no"}


@pytest.mark.parametrize(("rule", "path", "words"), [
    ({"field": "custom:serial", "remote": "u_serial"}, "field",
     "No custom field 'serial'; the defined ones: custom:lot, custom:shift, custom:vip."),
    ({"field": "custom:vip", "remote": "u_vip", "values_in": {"true": "ja"}}, "values_in",
     "'true' maps to 'ja' is no option of the field; use one of yes, no."),
])
def test_a_rule_naming_a_custom_field_the_hub_lacks_is_a_field_error(api: Any, servicenow_server: Server,  # noqa: F811
                                                                    rule: dict[str, Any], path: str,
                                                                    words: str) -> None:
    define_fields(api)
    body = {"connector": "servicenow", "slug": "sn", "config": {
        "instance_url": servicenow_server.url, "username": "admin", "password": "admin", "field_map": [rule]}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {f"config.field_map.0.{path}": [words]}
