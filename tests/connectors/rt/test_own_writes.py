"""The hub's own writes and what RT does with them by itself.

RT's default scrip "On Correspond Open Inactive Tickets" opens a ticket that is not active
when a reply comes in, the hub's replies included. That status change is the hub's own
doing: it must never pass for an RT user's edit, so "reply + resolve" on a new ticket ends
resolved on both sides, through the delivery and the next poll, and a reply never undoes
the status the hub gave the ticket.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import ExternalLink
from tests.connectors.rt.test_sync import add_instance, audit, only_incident
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain

Server = FakeServer[RTFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("rt", "connectors.rt")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def linked_new_ticket(api: Any, runtime: Any, server: Server, instance: int) -> tuple[int, str]:
    made = server.fake.create_ticket("General", "VPN drops every hour", requestor=["fred@example.com"])
    run_poll(runtime, instance)
    ticket = only_incident(api)
    assert ticket["status"] == "new"
    return int(made["id"]), str(ticket["ref"])


def reply(api: Any, ref: str, body: str = "The VPN profile is fixed") -> None:
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": body, "visibility": "public"}
                    ).status_code == 201


def move(api: Any, ref: str, to: str) -> None:
    response = api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": to})
    assert response.status_code == 200, response.json


def conflicts(api: Any, ref: str) -> list[dict[str, Any]]:
    return [entry for entry in audit(api, ref) if entry["action"] == "sync_conflict"]


@pytest.mark.parametrize(("hub_status", "rt_status"), [("resolved", "resolved"), ("on_hold", "stalled")])
def test_reply_and_a_status_on_a_new_ticket_hold_on_both_sides(api: Any, app: Any, runtime: Any,
                                                              rt_server: Server,  # noqa: F811
                                                              hub_status: str, rt_status: str) -> None:
    server = rt_server
    instance = add_instance(api, server)
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)

    reply(api, ref)
    move(api, ref, hub_status)
    drain(app)

    assert server.fake.ticket(ticket_id)["Status"] == rt_status
    run_poll(runtime, instance)
    drain(app)
    run_poll(runtime, instance)

    assert only_incident(api)["status"] == hub_status  # not reopened
    assert server.fake.ticket(ticket_id)["Status"] == rt_status
    assert not conflicts(api, ref)
    # RT opened the ticket on the reply (as RT_System), then took the hub's status.
    moves = [(t.creator, t.old_value, t.new_value) for t in server.fake.transactions(ticket_id) if t.type == "Status"]
    assert moves == [("RT_System", "new", "open"), ("hub", "open", rt_status)]


def test_a_poll_between_the_reply_and_the_status_sees_no_rt_edit(api: Any, app: Any, runtime: Any,
                                                                 rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server)
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)

    reply(api, ref)
    drain(app)
    run_poll(runtime, instance)
    move(api, ref, "resolved")
    drain(app)
    run_poll(runtime, instance)

    assert only_incident(api)["status"] == "resolved"
    assert server.fake.ticket(ticket_id)["Status"] == "resolved"
    assert not conflicts(api, ref)


def test_a_reply_after_resolving_does_not_leave_rt_reopened(api: Any, app: Any, runtime: Any,
                                                            rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server)
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)

    move(api, ref, "resolved")
    reply(api, ref, "Closing: the profile was the cause")
    drain(app)
    run_poll(runtime, instance)
    drain(app)

    assert only_incident(api)["status"] == "resolved"
    assert server.fake.ticket(ticket_id)["Status"] == "resolved"  # the hub set it back after the scrip
    assert not conflicts(api, ref)


def test_a_poll_while_the_reply_is_in_flight_takes_its_effect_as_the_hubs(api: Any, app: Any, runtime: Any,
                                                                         rt_server: Server) -> None:  # noqa: F811
    """The worker pushed the reply and died before writing the outcome; a poll runs then."""
    from hub.models import OutboxMessage

    server = rt_server
    instance = add_instance(api, server)
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)
    reply(api, ref)
    move(api, ref, "resolved")
    server.fake.correspond(ticket_id, "The VPN profile is fixed", user="hub")  # the push that landed
    with runtime.db.transaction() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.action == "comment")).one()
        message.attempts = 1  # claimed: the worker counted the attempt before pushing

    run_poll(runtime, instance)
    assert only_incident(api)["status"] == "resolved"
    drain(app)
    run_poll(runtime, instance)

    assert only_incident(api)["status"] == "resolved"
    assert server.fake.ticket(ticket_id)["Status"] == "resolved"
    assert not conflicts(api, ref)
    ours = [t for t in server.fake.transactions(ticket_id) if t.type == "Correspond" and t.creator == "hub"]
    assert len(ours) == 1  # the resend found the copy that landed


def test_a_site_without_the_scrip_declares_no_effect(api: Any, app: Any, runtime: Any,
                                                     rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    server.fake.auto_open = False
    instance = add_instance(api, server, write_effects=[])
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)

    reply(api, ref)
    drain(app)
    run_poll(runtime, instance)

    assert (only_incident(api)["status"], server.fake.ticket(ticket_id)["Status"]) == ("new", "new")
    with runtime.db.reading() as session:
        assert session.scalars(select(ExternalLink)).one().data["synced"]["Status"] == "new"


def test_a_plain_reply_keeps_the_hub_status_on_both_sides(api: Any, app: Any, runtime: Any,
                                                          rt_server: Server) -> None:  # noqa: F811
    """The hub's ticket stays new after a reply; RT's scrip opened it, so the hub sets it back."""
    server = rt_server
    instance = add_instance(api, server)
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)

    reply(api, ref)
    drain(app)
    run_poll(runtime, instance)
    drain(app)

    assert (only_incident(api)["status"], server.fake.ticket(ticket_id)["Status"]) == ("new", "new")
    assert not conflicts(api, ref)


def test_an_rt_agent_opening_the_ticket_after_the_hubs_reply_is_an_rt_edit(api: Any, app: Any, runtime: Any,
                                                                            rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server)
    ticket_id, ref = linked_new_ticket(api, runtime, server, instance)
    reply(api, ref)
    drain(app)
    run_poll(runtime, instance)

    server.fake.update_ticket(ticket_id, Status="open", user="root")  # an agent takes it up, later
    run_poll(runtime, instance)
    drain(app)

    assert only_incident(api)["status"] == "in_progress"
    assert server.fake.ticket(ticket_id)["Status"] == "open"
