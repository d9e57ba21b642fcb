"""The SLA clock in sight: due, time left, paused, breached, met; and escalation never moves a due time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.plugins.sla.test_sla import Clock, Watcher, advance, berlin

KITCHEN_FIRST = {
    "policies": [
        {"name": "Kitchen P3", "priorities": [3], "departments": ["kitchen"], "response_minutes": 30,
         "resolution_minutes": 240, "escalation": {"raise_priority": True}},
        {"name": "P2", "priorities": [2], "response_minutes": 60, "resolution_minutes": 480},
        {"name": "P1", "priorities": [1], "response_minutes": 15, "resolution_minutes": 120},
    ],
}


@pytest.fixture
def app_config(app_config: dict[str, Any], watcher: Watcher) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla"), ("watcher", watcher)]
    return app_config


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()


@pytest.fixture
def clock(runtime: Any) -> Clock:
    clock = Clock("2026-11-23 09:00")  # a Monday
    runtime.clock = clock
    return clock


def configure(api: Any, settings: dict[str, Any]) -> None:
    assert api.patch("/api/v1/admin/plugins/sla", json={"enabled": True}).status_code == 200
    response = api.put("/api/v1/admin/plugins/sla/settings", json={"settings": settings})
    assert response.status_code == 200, response.json


def moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def test_escalation_never_moves_a_due_time_and_the_breach_stays(api: Any, runtime: Any, clock: Clock,
                                                                 watcher: Watcher) -> None:
    assert api.post("/api/v1/departments", json={"slug": "kitchen", "name": "Kitchen"}).status_code == 201
    configure(api, KITCHEN_FIRST)  # after the department: settings naming one that does not exist are refused
    ref = api.post("/api/v1/incidents", json={"title": "Fridge warm", "department": "kitchen",
                                              "impact": "medium", "urgency": "medium"}).json["ref"]
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["priority"] == 3
    assert moment(ticket["response_due_at"]) == berlin("2026-11-23 09:30")
    assert moment(ticket["resolve_due_at"]) == berlin("2026-11-23 13:00")

    advance(clock, runtime, "2026-11-23 09:31")  # the response target is missed: escalated to P2
    assert ("breach", "response", berlin("2026-11-23 09:30")) in watcher.seen
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["priority"] == 2
    # Before the fix the P2 policy moved the due times to 10:00 and 17:00: the late ticket looked on time.
    assert moment(ticket["response_due_at"]) == berlin("2026-11-23 09:30")
    assert moment(ticket["resolve_due_at"]) == berlin("2026-11-23 13:00")
    response = ticket["sla"]["response"]
    assert response["breached"] is True and response["state"] == "breached"
    assert moment(response["breached_at"]) == berlin("2026-11-23 09:30")

    # An answer later meets nothing: the breach stays recorded.
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Technician on the way", "visibility": "public"})
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["sla"]["response"]["breached"] is True and ticket["sla"]["response"]["met"] is True
    assert ticket["sla"]["response"]["state"] == "breached"
    assert ticket["sla"]["resolution"]["state"] == "running"


DEFAULTS: dict[str, Any] = {}  # the plugin's own policies: P3 answer in 4 h, resolve in 24 h (24 x 7)


def open_p3(api: Any, title: str) -> str:
    response = api.post("/api/v1/incidents", json={"title": title, "impact": "medium", "urgency": "medium"})
    assert response.status_code == 201, response.json
    return str(response.json["ref"])


def refs(api: Any, query: str) -> set[str]:
    response = api.get(f"/api/v1/incidents?{query}")
    assert response.status_code == 200, response.json
    return {item["ref"] for item in response.json["items"]}


def test_the_clock_runs_pauses_and_is_met_in_the_api(api: Any, runtime: Any, clock: Clock) -> None:
    configure(api, DEFAULTS)
    ref = open_p3(api, "Shower drips")
    sla = api.get(f"/api/v1/incidents/{ref}").json["sla"]
    assert sla["response"]["state"] == "running" and sla["response"]["seconds_left"] == 4 * 3600
    assert moment(sla["resolution"]["due_at"]) == berlin("2026-11-24 09:00")
    advance(clock, runtime, "2026-11-23 10:00")
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Which room?", "visibility": "public"})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "on_hold"})
    advance(clock, runtime, "2026-11-23 15:00")
    sla = api.get(f"/api/v1/incidents/{ref}").json["sla"]
    assert sla["response"]["state"] == "met" and moment(sla["response"]["met_at"]) == berlin("2026-11-23 10:00")
    assert sla["resolution"]["state"] == "paused" and sla["resolution"]["seconds_left"] == 23 * 3600  # frozen at 10:00
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"})
    sla = api.get(f"/api/v1/incidents/{ref}").json["sla"]
    assert sla["resolution"]["state"] == "running" and moment(sla["resolution"]["due_at"]) == berlin("2026-11-24 14:00")


def test_filters_breached_and_due_soon(api: Any, runtime: Any, clock: Clock) -> None:
    configure(api, DEFAULTS)
    late = open_p3(api, "Heating off")  # answer due 13:00
    advance(clock, runtime, "2026-11-23 12:30")
    soon = open_p3(api, "Light flickers")  # answer due 16:30
    answered = open_p3(api, "Door squeaks")
    api.post(f"/api/v1/incidents/{answered}/comments", json={"body": "Oiled", "visibility": "public"})
    advance(clock, runtime, "2026-11-23 15:45")
    assert refs(api, "sla=breached") == {late}
    assert refs(api, "sla=due_soon") == {soon}
    assert refs(api, "sla=breached&open=true&priority=3") == {late}
    api.post(f"/api/v1/incidents/{late}/comments", json={"body": "Sorry, on it", "visibility": "public"})
    assert refs(api, "sla=breached") == {late}  # the breach stays recorded
    bad = api.get("/api/v1/incidents?sla=late")
    assert bad.status_code == 422 and "sla" in str(bad.json["errors"])


def test_without_a_policy_there_is_no_clock(api: Any) -> None:
    assert api.patch("/api/v1/admin/plugins/sla", json={"enabled": False}).status_code == 200
    ref = open_p3(api, "Plugin off")
    assert api.get(f"/api/v1/incidents/{ref}").json["sla"] is None
    assert refs(api, "sla=breached") == set()


def test_lists_and_the_ticket_page_show_the_clocks_in_the_agents_zone(app: Any, api: Any, runtime: Any,
                                                                        clock: Clock) -> None:
    from tests.hub.ui.conftest import Browser, add_user

    configure(api, DEFAULTS)
    late = open_p3(api, "Heating off")
    advance(clock, runtime, "2026-11-23 12:30")
    soon = open_p3(api, "Light flickers")
    advance(clock, runtime, "2026-11-23 15:45")
    add_user(app, "maria", "agent")
    agent = Browser(app, "maria")
    assert agent.post("/profile", {"display_name": "Maria", "timezone": "Asia/Tokyo", "language": "en"}).status_code \
        == 302
    listing = agent.text("/tickets")
    assert 'data-sla="breached"' in listing and "Answer 2 h 45 min late" in listing
    assert "Answer in 45 min" in listing
    assert '<select id="sla" name="sla">' in listing
    filtered = agent.text("/tickets?sla=breached")
    assert late in filtered and soon not in filtered
    assert soon in agent.text("/tickets?sla=due_soon") and late not in agent.text("/tickets?sla=due_soon")
    assert "Unknown SLA filter" in agent.text("/tickets?sla=nonsense")
    for path in ("/tickets/changes?sla=breached", "/my-work?sla=due_soon"):
        assert '<select id="sla" name="sla">' in agent.text(path)
    page = agent.text(f"/tickets/{late}")
    assert 'id="sla-title"' in page and "Answer 2 h 45 min late" in page
    # 13:00 Berlin is 21:00 in Tokyo; the exact UTC moment is on hover.
    assert '<time datetime="2026-11-23T12:00:00Z" title="2026-11-23 12:00:00 UTC">2026-11-23 21:00 JST</time>' in page
