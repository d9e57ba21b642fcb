"""declare_settings, timer_fired, sla_warning, sla_breached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from marshmallow import fields

from hub.app import services
from hub.hookspecs import hookimpl
from hub.sdk import ConfigSchema, secret
from hub.tracker.timers import fire_due_timers


class EscalationSettings(ConfigSchema):
    manager_email = fields.Email(required=True, metadata={"title": "Manager", "description": "Who hears."})
    hours = fields.Integer(load_default=4, metadata={"title": "Hours", "description": "Before escalating."})
    api_key = secret(load_default=None, allow_none=True, title="Pager key", description="Paging service key.")


def test_hook_declare_settings(with_plugins: Any, request: Any) -> None:
    class Escalation:
        name = "escalation"

        @hookimpl
        def declare_settings(self) -> type:
            return EscalationSettings

    with_plugins(Escalation())
    api, runtime = request.getfixturevalue("api"), request.getfixturevalue("runtime")
    shown = api.get("/api/v1/admin/plugins/escalation/settings").json
    assert {field["name"] for field in shown["fields"]} == {"manager_email", "hours", "api_key"}
    bad = api.put("/api/v1/admin/plugins/escalation/settings", json={"settings": {"manager_email": "nope"}})
    assert bad.status_code == 422 and "settings.manager_email" in bad.json["errors"]
    good = api.put("/api/v1/admin/plugins/escalation/settings",
                   json={"settings": {"manager_email": "boss@example.org", "api_key": "pager-secret"}})
    assert good.status_code == 200, good.json
    assert good.json["settings"] == {"manager_email": "boss@example.org", "hours": 4, "api_key": "********"}
    with runtime.db.transaction() as session:
        assert services.plugin_settings(session, "escalation")["api_key"] == "pager-secret"
    again = api.put("/api/v1/admin/plugins/escalation/settings",
                    json={"settings": {"manager_email": "boss@example.org", "hours": 2, "api_key": "********"}})
    assert again.status_code == 200
    runtime.caches.pop("plugin_settings", None)
    with runtime.db.transaction() as session:
        assert services.plugin_settings(session, "escalation") == {
            "manager_email": "boss@example.org", "hours": 2, "api_key": "pager-secret"}
    assert api.get("/api/v1/admin/plugins/hub.builtins/settings").json["fields"] == []


def test_hook_timer_fired(with_plugins: Any, recorder: Any, request: Any) -> None:
    class Reminder:
        name = "reminder"

        @hookimpl
        def timer_fired(self, ticket: Any, plugin: str, name: str, data: dict[str, Any]) -> None:
            if plugin == "reminder":
                recorder("timer_fired", ref=ticket.ref, name=name, data=data)

    with_plugins(Reminder())
    api, runtime = request.getfixturevalue("api"), request.getfixturevalue("runtime")
    ref = api.post("/api/v1/incidents", json={"title": "Call back"}).json["ref"]
    now = runtime.now()
    with runtime.db.transaction() as session:
        services.set_timer(session, ref, plugin="reminder", name="soon", due_at=now - timedelta(seconds=1),
                           data={"n": 1})
        services.set_timer(session, ref, plugin="reminder", name="later", due_at=now + timedelta(hours=1))
    assert fire_due_timers(runtime) == 1
    assert fire_due_timers(runtime) == 0  # once
    assert recorder.of("timer_fired") == [{"ref": ref, "name": "soon", "data": {"n": 1}}]
    with runtime.db.transaction() as session:  # moving a fired timer re-arms it
        services.set_timer(session, ref, plugin="reminder", name="soon", due_at=now - timedelta(seconds=1))
    assert fire_due_timers(runtime) == 1


def _emitter(recorder: Any) -> Any:
    class Watcher:
        name = "watcher"

        @hookimpl
        def sla_warning(self, ticket: Any, target: str, due_at: Any) -> None:
            recorder("sla_warning", ref=ticket.ref, target=target)

        @hookimpl
        def sla_breached(self, ticket: Any, target: str, due_at: Any) -> None:
            recorder("sla_breached", ref=ticket.ref, target=target)

    return Watcher()


def test_hook_sla_warning(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(_emitter(recorder))
    api, runtime = request.getfixturevalue("api"), request.getfixturevalue("runtime")
    ref = api.post("/api/v1/incidents", json={"title": "Slow"}).json["ref"]
    with runtime.db.transaction() as session:
        services.emit(session, "sla_warning", ref, target="response", due_at=runtime.now())
    assert recorder.of("sla_warning") == [{"ref": ref, "target": "response"}]


def test_hook_sla_breached(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(_emitter(recorder))
    api, runtime = request.getfixturevalue("api"), request.getfixturevalue("runtime")
    ref = api.post("/api/v1/incidents", json={"title": "Late"}).json["ref"]
    with runtime.db.transaction() as session:
        services.emit(session, "sla_breached", ref, target="resolution", due_at=runtime.now())
        with pytest.raises(ValueError, match="not a hook plugins may emit"):
            services.emit(session, "ticket_created", ref)
    assert recorder.of("sla_breached") == [{"ref": ref, "target": "resolution"}]
