"""SLA policies: due times on every ticket, in business hours, with pauses; a warning and a
breach each announced once (hooks ``sla_warning``, ``sla_breached``); escalation by mail,
priority and reassignment. Switch the plugin off and none of it runs (docs/plugins.md)."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from plugins.sla import engine

#: Changes that can change which policy applies or whether a target is met.
RELEVANT = frozenset({"priority", "impact", "urgency", "department", "kind", "first_response_at"})


@hookimpl
def register_hookspecs() -> list[object]:
    from plugins.sla import hookspecs

    return [hookspecs]


@hookimpl
def declare_settings() -> type[Any]:
    from plugins.sla.settings import SlaSettings

    return SlaSettings


@hookimpl
def register_blueprints() -> list[Any]:
    from plugins.sla.admin import make_blueprint

    return [make_blueprint()]


@hookimpl
def register_menu_items() -> list[Any]:
    from hub.sdk.web import MenuItem

    return [MenuItem("SLA policies", "sla_admin.policies", "admin", order=92)]


@hookimpl
def new_ticket_due_times(ticket: Any, session: Any) -> dict[str, Any] | None:
    return engine.first_due_times(session, ticket)


@hookimpl
def ticket_created(ticket: Any, session: Any) -> None:
    engine.recompute(session, ticket)


@hookimpl
def ticket_updated(ticket: Any, changes: dict[str, Any], session: Any) -> None:
    if RELEVANT & set(changes):
        engine.recompute(session, ticket)


@hookimpl
def status_changed(ticket: Any, old: str, new: str, session: Any) -> None:
    engine.status_moved(session, ticket, old, new)


@hookimpl
def comment_added(ticket: Any, comment: Any, session: Any) -> None:
    if comment.visibility == "public" and ticket.first_response_at is not None:
        engine.recompute(session, ticket)  # an agent's first public answer meets the response target


@hookimpl
def timer_fired(ticket: Any, plugin: str, name: str, data: dict[str, Any], session: Any) -> None:
    if plugin == engine.NAME:
        engine.timer_due(session, ticket, name, data)
