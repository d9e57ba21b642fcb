"""normalize_event, enrich_ticket, correlation_key, before_ticket_create."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.sdk.values import TicketDraft
from tests.support.plugin_fixtures import post_event, token_instance


def test_hook_normalize_event(with_plugins: Any, request: Any) -> None:
    class Reader:
        name = "reader"

        @hookimpl
        def normalize_event(self, event: Any, instance: Any) -> Any:
            if "legacy" in (event.payload or {}):
                return TicketDraft(title=f"Legacy: {event.payload['legacy']}", urgency="high")
            return None  # everything else: the connector's own reading

    with_plugins(Reader())
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    taken_over = post_event(app, secret, {"legacy": "pump 7 down"})
    assert taken_over.status_code == 201
    assert api.get(f"/api/v1/incidents/{taken_over.json['ticket']}").json["title"] == "Legacy: pump 7 down"
    default = post_event(app, secret, {"title": "Normal event"})
    assert api.get(f"/api/v1/incidents/{default.json['ticket']}").json["title"] == "Normal event"


def test_hook_enrich_ticket(with_plugins: Any, recorder: Any, request: Any) -> None:
    class Router:
        name = "router"

        @hookimpl
        def enrich_ticket(self, draft: TicketDraft, event: Any, instance: Any) -> None:
            recorder("enrich_ticket", draft=draft, event=event, instance=instance)
            if "boiler" in draft.title.lower():
                draft.category = "heating"
                draft.tags.append("routed")

    with_plugins(Router())
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    via_event = post_event(app, secret, {"title": "Boiler pressure low"}).json["ticket"]
    via_api = api.post("/api/v1/incidents", json={"title": "Boiler noise"}).json
    assert api.get(f"/api/v1/incidents/{via_event}").json["category"] == "heating"
    assert via_api["category"] == "heating" and via_api["tags"] == ["routed"]
    calls = recorder.of("enrich_ticket")
    assert calls[0]["instance"].slug == "feed" and calls[0]["event"].payload == {"title": "Boiler pressure low"}
    assert calls[1]["instance"] is None and calls[1]["event"] is None


def test_hook_correlation_key(with_plugins: Any, request: Any) -> None:
    class ByRoom:
        name = "by-room"

        @hookimpl
        def correlation_key(self, draft: TicketDraft) -> str | None:
            room = draft.custom_fields.get("room")
            return f"room/{room}" if room else None

    class RoomField:
        name = "room-field"

        @hookimpl
        def normalize_event(self, event: Any) -> Any:
            return TicketDraft(title=event.payload["title"], custom_fields={"room": event.payload.get("room")})

    with_plugins(ByRoom(), RoomField())
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    first = post_event(app, secret, {"title": "No hot water", "room": "4127"}).json
    second = post_event(app, secret, {"title": "Still no hot water", "room": "4127"}).json
    other = post_event(app, secret, {"title": "Noise", "room": "12"}).json
    assert first["ticket"] == second["ticket"] != other["ticket"]
    assert second["action"] == "occurrence"
    assert api.get(f"/api/v1/incidents/{first['ticket']}").json["occurrence_count"] == 2


def test_hook_before_ticket_create(with_plugins: Any, request: Any) -> None:
    class Guard:
        name = "guard"

        @hookimpl
        def before_ticket_create(self, draft: TicketDraft, instance: Any) -> str | None:
            return "Test tickets are not accepted." if draft.title.lower().startswith("test") else None

    with_plugins(Guard())
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    refused = api.post("/api/v1/incidents", json={"title": "test please ignore"})
    assert refused.status_code == 422
    assert refused.json["plugin"] == "guard" and refused.json["reason"] == "Test tickets are not accepted."
    secret = token_instance(api)
    event = post_event(app, secret, {"title": "Test from the sensor"})
    assert event.status_code == 202
    assert event.json["action"] == "vetoed" and "Refused by plugin guard" in event.json["reason"]
    assert api.post("/api/v1/incidents", json={"title": "Real problem"}).status_code == 201
