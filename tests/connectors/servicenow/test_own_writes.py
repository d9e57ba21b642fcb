"""The hub's own writes and what ServiceNow's business rules do with them.

Many sites have a rule that moves a New incident to In Progress once an agent adds a work
note or a comment. The connector declares it; the PATCH that adds the entry answers with
the record as the rules left it, so the effect counts where it happened and nowhere else.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.servicenow.test_sync import add_instance, only_incident
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.support.jobs import drain

Server = FakeServer[ServiceNowFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("servicenow", "connectors.servicenow")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def linked_new_incident(api: Any, runtime: Any, server: Server) -> tuple[int, str, str]:
    server.fake.user_timezone = "UTC"
    instance = add_instance(api, server, tables=["incident"])
    record = server.fake.create_record("incident", short_description="Mail relay refuses TLS")
    run_poll(runtime, instance)
    ticket = only_incident(api)
    assert ticket["status"] == "new"
    return instance, str(record["sys_id"]), str(ticket["ref"])


def conflicts(api: Any, ref: str) -> list[dict[str, Any]]:
    return [a for a in api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json if a["action"] == "sync_conflict"]


@pytest.mark.parametrize(("visibility", "hub_status", "state"), [
    ("public", "resolved", "6"), ("internal", "resolved", "6"), ("public", "on_hold", "3")])
def test_a_journal_entry_and_a_status_on_a_new_incident_hold_on_both_sides(
        api: Any, app: Any, runtime: Any, servicenow_server: Server,  # noqa: F811
        visibility: str, hub_status: str, state: str) -> None:
    server = servicenow_server
    server.fake.add_state_rule("incident", from_states=("1",), to_state="2")
    instance, sys_id, ref = linked_new_incident(api, runtime, server)

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Certificate renewed", "visibility": visibility})
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": hub_status}).status_code == 200
    drain(app)

    assert server.fake.record("incident", sys_id)["state"] == state
    run_poll(runtime, instance)
    drain(app)
    run_poll(runtime, instance)

    assert only_incident(api)["status"] == hub_status  # not moved back to in progress
    assert server.fake.record("incident", sys_id)["state"] == state
    assert not conflicts(api, ref)


def test_a_site_without_the_rule_keeps_a_later_remote_move(api: Any, app: Any, runtime: Any,
                                                           servicenow_server: Server) -> None:  # noqa: F811
    """The declared rule is not on this site: the PATCH answer shows New still, so a later
    move to In Progress by an agent is theirs, and the hub takes it."""
    server = servicenow_server
    instance, sys_id, ref = linked_new_incident(api, runtime, server)

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Looking into it", "visibility": "public"})
    drain(app)
    assert server.fake.record("incident", sys_id)["state"] == "1"
    server.fake.update_record("incident", sys_id, state="2", user="beth.anglin")
    run_poll(runtime, instance)
    drain(app)

    assert only_incident(api)["status"] == "in_progress"
    assert server.fake.record("incident", sys_id)["state"] == "2"
