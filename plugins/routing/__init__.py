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
    settings = services.plugin_settings(session, NAME)
    for rule in settings["rules"]:
        if matches(rule, draft, event, instance):
            apply(rule, draft, _gone(session, rule), _default_group(session, settings))
            if not rule["continue_"]:
                return


@hookimpl
def ticket_created(ticket: Any, session: Any) -> None:
    from hub.sdk import tracker as services

    fired = [tag.removeprefix("routed:") for tag in ticket.tags if tag.startswith("routed:")]
    if fired:
        services.set_plugin_data(session, ticket.ref, NAME, {"rules": fired})
        _count_fallbacks(session, fired)


def _gone(session: Any, rule: dict[str, Any]) -> dict[str, list[str]]:
    """What the rule sets that no longer exists (a group deleted behind the hub's back)."""
    from hub.sdk.hub_services import missing_names
    from plugins.routing.rules import SET_NAMES

    names = {kind: [rule["set"][key]] for key, (kind, _) in SET_NAMES.items() if rule["set"].get(key)}
    return missing_names(session, names) if names else {}


def _default_group(session: Any, settings: dict[str, Any]) -> str | None:
    from hub.sdk.hub_services import missing_names

    group = settings.get("default_group")
    return group if group and not missing_names(session, {"group": [group]}) else None


def _count_fallbacks(session: Any, fired: list[str]) -> None:
    """Count the new ticket on each reference of its rules that it met missing (the admins'
    warning says how many tickets went to the default group since)."""
    from hub.sdk import tracker as services
    from hub.sdk.hub_services import count_missing_reference
    from plugins.routing.rules import rule_references

    rules = {rule["name"]: rule for rule in services.plugin_settings(session, NAME)["rules"]}
    for name in fired:
        rule = rules.get(name)
        if rule is None:
            continue
        gone = _gone(session, rule)
        for reference in rule_references(rule, "rules"):
            if reference.effect and reference.name in gone.get(reference.kind, ()):
                count_missing_reference(session, source=NAME, reference=reference)
