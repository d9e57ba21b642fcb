"""A hub custom field in RT sync rules (issue 21 point 5): the hub's ``lot`` kept in step with
RT's ticket custom field Lot (``CF.Lot``) both ways, against the REST2 double; what the hub
wrote is not read back as a change."""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import Server, add_instance, audit, only_incident
from tests.connectors.rt.test_sync import app_config as app_config  # the plugin, a quick backoff
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.support.jobs import drain

RULES = [{"field": "title", "remote": "Subject"}, {"field": "custom:lot", "remote": "CF.Lot"}]


@pytest.fixture
def rt(api: Any, rt_server: Server) -> tuple[Server, int, int]:  # noqa: F811
    lot = rt_server.fake.add_custom_field("Lot")
    assert api.post("/api/v1/custom-fields", json={"name": "lot", "label": "Lot", "type": "text"}).status_code == 201
    return rt_server, add_instance(api, rt_server, field_map=RULES), lot


def test_the_lot_travels_both_ways_and_is_not_echoed(api: Any, app: Any, runtime: Any,
                                                     rt: tuple[Server, int, int]) -> None:
    server, instance, lot = rt
    made = server.fake.create_ticket("General", "Forklift battery swelling", custom_fields={"Lot": "L-7"})
    assert run_poll(runtime, instance)["status"] == "ok"
    incident = only_incident(api)
    assert incident["custom_fields"]["lot"] == "L-7"

    response = api.patch(f"/api/v1/incidents/{incident['ref']}", json={"custom_fields": {"lot": "L-8"}})
    assert response.status_code == 200, response.json
    drain(app)
    assert server.fake.ticket(made["id"])["CustomFields"][lot] == ["L-8"]
    before = audit(api, incident["ref"])

    run_poll(runtime, instance)  # RT shows what the hub wrote: no change
    drain(app)

    assert audit(api, incident["ref"]) == before
    assert only_incident(api)["custom_fields"]["lot"] == "L-8"
    server.fake.update_ticket(made["id"], CustomFields={"Lot": "L-9"}, user="root")
    run_poll(runtime, instance)
    assert only_incident(api)["custom_fields"]["lot"] == "L-9"
