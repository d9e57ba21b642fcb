"""A problem that comes and goes does not mail its requester at every coming and going."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hub.models import OutboxMessage
from hub.sdk.actors import Actor
from hub.tracker.tickets import get_ticket, transition_ticket

LINE = Actor.connector(instance_id=1, instance_slug="line-3")
AGENT = Actor(type="user", name="maria", origin="ui", user_id=1, role="agent")


@pytest.fixture
def ref(api: Any) -> str:
    # A send-only instance: mail is queued for it (nothing here needs it delivered).
    created = api.post("/api/v1/admin/instances", json={"connector": "smtp", "slug": "relay", "enabled": True,
                                                         "config": {"smtp_host": "127.0.0.1",
                                                                    "from_address": "care@hub.test"}})
    assert created.status_code == 201, created.json
    answer = api.post("/api/v1/incidents", json={"title": "Labeler 1 photo eye", "requester": {
        "name": "Shift lead", "email": "lead@plant.example"}})
    return str(answer.json["ref"])


def resolution_mails(session: Any) -> int:
    return int(session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.action == "mail", OutboxMessage.payload["template"].as_string() == "resolution")) or 0)


@pytest.mark.parametrize(("flapping", "actor", "mailed"), [
    (True, LINE, 0),  # damped: the connector's auto-clear of a flapping alarm
    (False, LINE, 1),  # a real clear is worth telling
    (True, AGENT, 1),  # an agent resolving it is worth telling, flapping or not
])
def test_resolution_mail(app: Any, ref: str, flapping: bool, actor: Actor, mailed: int) -> None:
    with app.extensions["hub"].db.transaction() as session:
        ticket = get_ticket(session, ref)
        ticket.flapping = flapping
        transition_ticket(session=session, ticket=ticket, to="resolved", actor=actor)
        assert resolution_mails(session) == mailed
