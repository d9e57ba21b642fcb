"""Routing rules: ordered conditions on new tickets that set the assignment group, assignee,
priority, department and tags. The rule that fired is recorded on the ticket (a
``routed:<rule>`` tag, and the plugin's data on the ticket). Switched off, nothing is routed (docs/plugins.md)."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

NAME = "routing"


@hookimpl
def declare_settings() -> type[Any]:
    from plugins.routing.rules import RoutingSettings

    return RoutingSettings


@hookimpl
def register_blueprints() -> list[Any]:
    from plugins.routing.admin import make_blueprint

    return [make_blueprint()]


@hookimpl
def register_menu_items() -> list[Any]:
    from hub.sdk.web import MenuItem

    return [MenuItem("Routing rules", "routing_admin.rules", "admin", order=93)]


@hookimpl
def enrich_ticket(draft: Any, event: Any, instance: Any, session: Any) -> None:
    from hub.sdk import tracker as services
    from plugins.routing.rules import apply, matches

    if draft.action != "open":
        return
    for rule in services.plugin_settings(session, NAME)["rules"]:
        if matches(rule, draft, event, instance):
            apply(rule, draft)
            if not rule["continue_"]:
                return


@hookimpl
def ticket_created(ticket: Any, session: Any) -> None:
    from hub.sdk import tracker as services

    fired = [tag.removeprefix("routed:") for tag in ticket.tags if tag.startswith("routed:")]
    if fired:
        services.set_plugin_data(session, ticket.ref, NAME, {"rules": fired})
