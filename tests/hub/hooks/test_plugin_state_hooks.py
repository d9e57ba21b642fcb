"""declare_settings, timer_fired, register_hookspecs (plugins declaring their own hooks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from marshmallow import fields

from hub.app import services
from hub.hookspecs import hookimpl, hookspec
from hub.sdk import ConfigSchema, secret
from hub.sdk.tracker import emit
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


class RenewalSpecs:
    """Hooks a (test) plugin declares for others, as the SLA plugin declares sla_warning."""

    @hookspec
    def contract_renewal_due(self, ticket: Any, days: int, session: Any) -> None:
        """A contract named on the ticket is due for renewal."""


def _plugins(recorder: Any) -> tuple[Any, Any]:
    class Watcher:
        name = "watcher"

        @hookimpl
        def contract_renewal_due(self, ticket: Any, days: int) -> None:
            recorder("contract_renewal_due", ref=ticket.ref, days=days)

    class Renewals:
        name = "renewals"

        @hookimpl
        def register_hookspecs(self) -> list[object]:
            return [RenewalSpecs]

    return Watcher(), Renewals()


def test_hook_register_hookspecs(with_plugins: Any, recorder: Any, request: Any) -> None:
    watcher, declarer = _plugins(recorder)
    with_plugins(watcher, declarer)  # the implementation loads before the declaration: still accepted
    api, runtime = request.getfixturevalue("api"), request.getfixturevalue("runtime")
    assert runtime.plugins.records["watcher"].error is None
    assert runtime.plugins.declared_hooks == {"contract_renewal_due": "renewals"}
    ref = api.post("/api/v1/incidents", json={"title": "Renew"}).json["ref"]
    with runtime.db.transaction() as session:
        emit(session, "contract_renewal_due", ref, days=30)
        with pytest.raises(ValueError, match="not a hook a plugin declared"):
            emit(session, "ticket_created", ref)
    assert recorder.of("contract_renewal_due") == [{"ref": ref, "days": 30}]


def test_a_plugin_cannot_redeclare_a_core_hook(with_plugins: Any, request: Any) -> None:
    class Specs:
        @hookspec
        def ticket_created(self, ticket: Any) -> None:
            """Taken."""

    class Thief:
        name = "thief"

        @hookimpl
        def register_hookspecs(self) -> list[object]:
            return [Specs]

    with_plugins(Thief())
    runtime = request.getfixturevalue("runtime")
    assert "hookspecs refused" in (runtime.plugins.records["thief"].error or "")
    assert runtime.plugins.declared_hooks == {}


class AnswerSpecs:
    """Declared hooks that answer: one about a ticket, one about none."""

    @hookspec
    def renewal_owners(self, ticket: Any, session: Any) -> list[str]:
        """Who renews the ticket's contract."""

    @hookspec
    def register_renewal_kinds(self, session: Any) -> list[str]:
        """Kinds of contract."""


def test_emit_returns_the_answers_and_may_name_no_ticket(with_plugins: Any, request: Any) -> None:
    class Declarer:
        name = "declarer"

        @hookimpl
        def register_hookspecs(self) -> list[object]:
            return [AnswerSpecs]

        @hookimpl
        def renewal_owners(self, ticket: Any) -> list[str]:
            return [f"owner-of-{ticket.ref}"]

    class Other:
        name = "other"

        @hookimpl
        def renewal_owners(self) -> None:
            return None  # no answer: left out

        @hookimpl
        def register_renewal_kinds(self) -> list[str]:
            return ["lease"]

    with_plugins(Declarer(), Other())
    api, runtime = request.getfixturevalue("api"), request.getfixturevalue("runtime")
    ref = api.post("/api/v1/incidents", json={"title": "Renew"}).json["ref"]
    with runtime.db.transaction() as session:
        assert emit(session, "renewal_owners", ref) == [[f"owner-of-{ref}"]]
        assert emit(session, "register_renewal_kinds", None) == [["lease"]]


def test_an_optional_implementation_waits_for_a_declaration(with_plugins: Any, request: Any) -> None:
    class Listener:
        name = "listener"

        @hookimpl(optionalhook=True)
        def contract_renewal_due(self, ticket: Any) -> None:
            """Heard only where a plugin declares the hook."""

    class Strict:
        name = "strict"

        @hookimpl
        def contract_renewal_due(self, ticket: Any) -> None:
            """Refused: nobody declares the hook."""

    with_plugins(Listener(), Strict())
    runtime = request.getfixturevalue("runtime")
    assert runtime.plugins.records["listener"].loaded
    assert "unknown hook 'contract_renewal_due'" in (runtime.plugins.records["strict"].error or "")
