"""The SLA plugin with a controlled clock: due times, warnings, breaches, escalation, pauses."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.hookspecs import hookimpl
from hub.models import OutboxMessage
from hub.tracker.timers import fire_due_timers

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
SETTINGS = {
    "calendars": [{"name": "office", "timezone": "Europe/Berlin",
                   "hours": dict.fromkeys(WEEKDAYS, "09:00-17:00"), "holidays": ["2026-12-25"]}],
    "policies": [{"name": "P1-P2 complaints", "priorities": [1, 2], "response_minutes": 60, "resolution_minutes": 480,
                  "calendar": "office", "warn_at": 0.8,
                  "escalation": {"mail_to": ["duty.manager@hotel.example"], "raise_priority": True}}],
}
FORM = {"title": "Complaint", "fields": [
    {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "requester_email"},
    {"name": "message", "label": "What happened?", "type": "textarea", "required": True, "maps_to": "description"},
    {"name": "impact", "label": "Impact", "type": "select", "options": ["low", "medium", "high"], "maps_to": "impact"},
    {"name": "urgency", "label": "Urgency", "type": "select", "options": ["low", "medium", "high"],
     "maps_to": "urgency"}]}


class Watcher:
    name = "watcher"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dt.datetime]] = []

    @hookimpl
    def sla_warning(self, ticket: Any, target: str, due_at: dt.datetime) -> None:
        self.seen.append(("warning", target, due_at))

    @hookimpl
    def sla_breached(self, ticket: Any, target: str, due_at: dt.datetime) -> None:
        self.seen.append(("breach", target, due_at))


class Clock:
    def __init__(self, start: str) -> None:
        self.now = berlin(start)

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)


def berlin(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()


@pytest.fixture
def app_config(app_config: dict[str, Any], watcher: Watcher) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webform", "connectors.webform"), ("email", "connectors.email"),
                             ("sla", "plugins.sla"), ("watcher", watcher)]
    return app_config


@pytest.fixture
def clock(runtime: Any) -> Clock:
    clock = Clock("2026-11-20 17:55")  # a Friday, five minutes before the office closes
    runtime.clock = clock
    return clock


@pytest.fixture
def configured(api: Any, clock: Clock) -> None:
    assert api.patch("/api/v1/admin/plugins/sla", json={"enabled": True}).status_code == 200
    response = api.put("/api/v1/admin/plugins/sla/settings", json={"settings": SETTINGS})
    assert response.status_code == 200, response.json
    assert api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "complaints", "enabled": True,
                                                      "config": FORM}).status_code == 201
    assert api.post("/api/v1/admin/instances", json={"connector": "email", "slug": "care", "enabled": True, "config": {
        "host": "127.0.0.1", "username": "care", "password": "x", "security": "plain", "smtp_host": "127.0.0.1",
        "from_address": "care@hotel.example"}}).status_code == 201


def mails(runtime: Any) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return [dict(message.payload) for message in session.scalars(
            select(OutboxMessage).where(OutboxMessage.action == "mail").order_by(OutboxMessage.id))]


def advance(clock: Clock, runtime: Any, to: str) -> None:
    clock.now = berlin(to)
    fire_due_timers(runtime)


def test_a_p2_complaint_at_1755_on_friday(app: Any, api: Any, runtime: Any, clock: Clock, configured: None,
                                          watcher: Watcher) -> None:
    sent = app.test_client().post("/api/v1/forms/complaints", json={"values": {
        "email": "guest@example.org", "message": "The heating in room 12 is off", "impact": "high",
        "urgency": "medium"}})
    assert sent.status_code == 201, sent.json
    ref = sent.json["ticket"]
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["priority"] == 2
    # The clock starts on Monday at 09:00: an answer by 10:00, a solution by 17:00.
    assert dt.datetime.fromisoformat(ticket["response_due_at"]) == berlin("2026-11-23 10:00")
    assert dt.datetime.fromisoformat(ticket["resolve_due_at"]) == berlin("2026-11-23 17:00")
    status = app.test_client().get(sent.json["status_url"].split("hub.test")[-1].replace("http://127.0.0.1:5000", ""))
    assert "Answer expected by" in status.get_data(as_text=True)

    advance(clock, runtime, "2026-11-22 12:00")  # the weekend: nothing
    advance(clock, runtime, "2026-11-23 09:47")
    assert watcher.seen == [] and mails(runtime) == []
    advance(clock, runtime, "2026-11-23 09:48")  # 80 % of the hour
    assert watcher.seen == [("warning", "response", berlin("2026-11-23 10:00"))]
    advance(clock, runtime, "2026-11-23 10:00")
    assert watcher.seen[-1] == ("breach", "response", berlin("2026-11-23 10:00"))
    escalations = mails(runtime)
    assert len(escalations) == 1 and escalations[0]["to"] == ["duty.manager@hotel.example"]
    assert "missed its response target" in escalations[0]["subject"]
    assert api.get(f"/api/v1/incidents/{ref}").json["priority"] == 1  # raised on the breach
    advance(clock, runtime, "2026-11-23 10:30")
    advance(clock, runtime, "2026-11-23 15:23")
    assert len(watcher.seen) == 2 and len(mails(runtime)) == 1  # once each
    advance(clock, runtime, "2026-11-23 15:24")  # 80 % of eight working hours
    advance(clock, runtime, "2026-11-23 17:00")
    advance(clock, runtime, "2026-11-24 12:00")
    assert [entry[:2] for entry in watcher.seen] == [("warning", "response"), ("breach", "response"),
                                                     ("warning", "resolution"), ("breach", "resolution")]
    assert len(mails(runtime)) == 2


def test_an_answer_in_time_meets_the_response_target(app: Any, api: Any, runtime: Any, clock: Clock,
                                                      configured: None, watcher: Watcher) -> None:
    clock.now = berlin("2026-11-23 09:00")
    ref = api.post("/api/v1/incidents", json={"title": "Lift stuck", "impact": "high", "urgency": "medium"}).json["ref"]
    advance(clock, runtime, "2026-11-23 09:30")
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "On our way", "visibility": "public"}
                    ).status_code == 201
    advance(clock, runtime, "2026-11-23 11:00")
    assert [entry[:2] for entry in watcher.seen] == []
    assert mails(runtime) == []


def test_on_hold_pauses_the_clock(app: Any, api: Any, runtime: Any, clock: Clock, configured: None,
                                  watcher: Watcher) -> None:
    clock.now = berlin("2026-11-23 09:00")
    ref = api.post("/api/v1/incidents", json={"title": "Safe will not open", "impact": "high",
                                              "urgency": "medium"}).json["ref"]
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Which room?", "visibility": "public"})
    advance(clock, runtime, "2026-11-23 10:00")
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "on_hold"}).status_code == 200
    advance(clock, runtime, "2026-11-23 16:00")  # six working hours on hold
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"}).status_code == 200
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    # Eight working hours from 09:00 plus six paused: Tuesday 15:00.
    assert dt.datetime.fromisoformat(ticket["resolve_due_at"]) == berlin("2026-11-24 15:00")
    advance(clock, runtime, "2026-11-24 14:59")
    assert ("breach", "resolution") not in [entry[:2] for entry in watcher.seen]


def test_switched_off_nothing_runs(app: Any, api: Any, runtime: Any, clock: Clock, configured: None,
                                   watcher: Watcher) -> None:
    assert api.patch("/api/v1/admin/plugins/sla", json={"enabled": False}).status_code == 200
    ref = api.post("/api/v1/incidents", json={"title": "Noisy pipes", "impact": "high",
                                              "urgency": "medium"}).json["ref"]
    assert api.get(f"/api/v1/incidents/{ref}").json["response_due_at"] is None
    advance(clock, runtime, "2026-11-30 12:00")
    assert watcher.seen == [] and mails(runtime) == []


def test_bad_settings_are_refused_with_the_field(api: Any, configured: None) -> None:
    bad = {"calendars": [{"name": "office", "timezone": "Mars/Olympus"}],
           "policies": [{"name": "x", "calendar": "nowhere"}]}
    response = api.put("/api/v1/admin/plugins/sla/settings", json={"settings": bad})
    assert response.status_code == 422 and "Mars/Olympus" in str(response.json)


def test_due_times_set_again_unchanged_leave_the_ticket_clean(runtime: Any) -> None:
    # A batch of new tickets is given its due times on INSERT; the SLA plugin's
    # ticket_created sets the same ones again, which must not make 200 tickets to scan
    # for changes at the batch's flush (hub.ingest.read_together).
    from hub.app import services
    from hub.sdk.actors import Actor
    from hub.tracker.tickets import create_ticket

    with runtime.db.transaction() as session:
        ticket = create_ticket(session=session, kind="incident", values={"title": "Boiler"}, actor=Actor.system())
        due = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
        services.set_due_times(session, ticket.ref, response_due_at=due, resolve_due_at=None)
        session.flush()
        services.set_due_times(session, ticket.ref, response_due_at=due, resolve_due_at=None)
        assert ticket not in session.dirty
        services.set_due_times(session, ticket.ref, response_due_at=due, resolve_due_at=due)
        assert ticket in session.dirty and ticket.resolve_due_at == due
