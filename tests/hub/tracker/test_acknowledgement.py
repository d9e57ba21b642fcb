"""What counts as acknowledging and answering a ticket, for MTTA and the response target.

Issue 22, point 7: any move out of ``new`` used to stamp the acknowledgement, so an
alarm a connector cleared on its own was "acknowledged" when it cleared (its MTTA was how
long it lasted), and a routing rule's assignment counted as the first response.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from hub.sdk.actors import Actor
from hub.tracker.tickets import acknowledges, create_ticket, transition_ticket, update_ticket

AGENT = Actor(type="user", name="maria", origin="ui", user_id=1, role="agent")
LINE = Actor.connector(instance_id=1, instance_slug="line-3")
ROUTING = Actor.plugin("routing")
TIMER = Actor.system()


def incident(app: Flask, session: Any, actor: Actor = LINE) -> Any:
    return create_ticket(session=session, kind="incident", values={"title": "Filler 2 jammed"}, actor=actor,
                         source="connector")


@pytest.mark.parametrize(("actor", "status", "expected"), [
    (AGENT, "acknowledged", True), (AGENT, "resolved", True), (AGENT, "cancelled", True), (AGENT, "new", False),
    (LINE, "resolved", False), (LINE, "in_progress", True), (LINE, "acknowledged", True),
    (ROUTING, "resolved", False), (TIMER, "resolved", False), (TIMER, "closed", False),
    (Actor(type="token", name="script", origin="api"), "resolved", True),
    (Actor.requester("Gina"), "resolved", False),
])
def test_who_acknowledges(actor: Actor, status: str, expected: bool) -> None:
    assert acknowledges(actor, status) is expected


def test_an_alarm_the_connector_clears_was_never_acknowledged(app: Flask) -> None:
    with app.extensions["hub"].db.transaction() as session:
        ticket = incident(app, session)
        transition_ticket(session=session, ticket=ticket, to="resolved", actor=LINE, note="alarm cleared")
        assert ticket.resolved_at is not None
        assert (ticket.acknowledged_at, ticket.first_response_at) == (None, None)


def test_an_agents_move_acknowledges_and_answers(app: Flask) -> None:
    with app.extensions["hub"].db.transaction() as session:
        ticket = incident(app, session)
        transition_ticket(session=session, ticket=ticket, to="in_progress", actor=AGENT)
        assert ticket.acknowledged_at is not None and ticket.first_response_at == ticket.acknowledged_at


def test_a_synced_remote_teams_in_progress_acknowledges(app: Flask) -> None:
    with app.extensions["hub"].db.transaction() as session:
        ticket = incident(app, session)
        transition_ticket(session=session, ticket=ticket, to="in_progress", actor=LINE)
        assert ticket.acknowledged_at is not None


def test_a_ticket_opened_already_resolved_by_a_connector_is_not_acknowledged(app: Flask) -> None:
    with app.extensions["hub"].db.transaction() as session:
        ticket = create_ticket(session=session, kind="incident", values={"title": "Imported, done"}, actor=LINE,
                               source="connector", status="resolved")
        assert ticket.resolved_at is not None and ticket.acknowledged_at is None


def test_a_routing_rules_assignment_is_no_first_response_but_an_agents_is(app: Flask) -> None:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password="a-long-password-1")
        ticket = incident(app, session)
        update_ticket(session=session, ticket=ticket, values={"assignee": "maria"}, actor=ROUTING)
        assert ticket.first_response_at is None
        update_ticket(session=session, ticket=ticket, values={"assignee": None}, actor=AGENT)
        update_ticket(session=session, ticket=ticket, values={"assignee": "maria"}, actor=AGENT)
        assert ticket.first_response_at is not None
