"""SLA policies name departments and an escalation group: checked when saved; an escalation
whose group vanished still mails and raises the priority, skips the reassignment and warns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from hub.models import Group, OutboxMessage
from hub.tracker.org import forget
from hub.tracker.timers import fire_due_timers
from tests.hub.ui.conftest import Browser, add_user

POLICY = {"name": "P2 fast", "priorities": [2], "response_minutes": 30, "resolution_minutes": 240,
          "escalation": {"mail_to": ["duty@hotel.example"], "raise_priority": True, "reassign_group": "nightshift"}}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla"), ("email", "connectors.email")]
    return app_config


def save(api: Any, settings: dict[str, Any]) -> Any:
    return api.put("/api/v1/admin/plugins/sla/settings", json={"settings": settings})


def test_a_policy_naming_unknown_items_cannot_be_saved(api: Any) -> None:
    response = save(api, {"policies": [{**POLICY, "departments": ["kitchen"]}]})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["errors"] == {
        "settings.policies.0.departments.0": ["No department 'kitchen'."],
        "settings.policies.0.escalation.reassign_group": ["No group 'nightshift'."]}


def test_the_policy_page_shows_the_unknown_group_beside_its_input(app: Flask) -> None:
    add_user(app, "admin1", "admin")
    page = Browser(app, "admin1").post("/admin/sla/policies/new", {
        "name": "Late", "priorities": ["3"], "response_minutes": "60", "calendar": "always",
        "escalation.reassign_group": "graveyard"})
    assert page.status_code == 422
    field = page.get_data(as_text=True).split('for="escalation-reassign_group"', 1)[1].split("</div>", 1)[0]
    assert "No group &#39;graveyard&#39;." in field


def test_an_escalation_to_a_vanished_group_still_mails_and_raises(app: Flask, api: Any, runtime: Any) -> None:
    clock = Clock()
    runtime.clock = clock
    for slug in ("nightshift", "day"):
        assert api.post("/api/v1/groups", json={"slug": slug, "name": slug}).status_code == 201
    assert api.patch("/api/v1/admin/plugins/sla", json={"enabled": True}).status_code == 200
    assert save(api, {"policies": [POLICY]}).status_code == 200
    assert api.post("/api/v1/admin/instances", json={"connector": "email", "slug": "care", "enabled": True, "config": {
        "host": "127.0.0.1", "username": "care", "password": "x", "security": "plain", "smtp_host": "127.0.0.1",
        "from_address": "care@hotel.example"}}).status_code == 201  # escalations are mailed through it
    ref = api.post("/api/v1/incidents", json={"title": "Lift stuck", "priority": 2, "group": "day"}).json["ref"]
    with runtime.db.transaction() as session:  # gone behind the hub's back: the pages refuse while it is named
        session.execute(delete(Group).where(Group.slug == "nightshift"))
        forget(session)
    clock.now += dt.timedelta(minutes=31)
    fire_due_timers(runtime)
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert (ticket["priority"], ticket["group"]) == (1, "day")  # raised, not reassigned
    with runtime.db.reading() as session:
        mails = [message.payload for message in session.scalars(
            select(OutboxMessage).where(OutboxMessage.action == "mail"))]
    assert [mail["to"] for mail in mails] == [["duty@hotel.example"]]
    notes = [entry["note"] for entry in api.get(f"/api/v1/incidents/{ref}/audit").json if entry["action"] == "noted"]
    assert notes == ["SLA policy P2 fast names group 'nightshift', which no longer exists; the ticket was not "
                     "reassigned."]
    add_user(app, "admin1", "admin")
    page = Browser(app, "admin1").get("/admin/sla/").get_data(as_text=True)
    assert ("SLA policy P2 fast names group &#39;nightshift&#39;, which no longer exists; 1 ticket missed a target "
            "without being reassigned since 2026-11-23 09:31 UTC.") in page
