"""Other plugins extend agents' notifications through the hooks agent-notify declares: their
events, their recipients, their channels; and agent-notify works without the SLA plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hub.app.docs_gen import hook_functions, plugin_hooks_sections, render_hooks_reference
from hub.hookspecs import hookimpl
from plugins.agent_notify import hookspecs

ROOT = Path(__file__).resolve().parents[3]


class LineSupervision:
    """A plugin for the production lines: the line's supervisor hears of every alarm, quality
    holds are its own event, and it pages by text message."""

    name = "line-supervision"

    def __init__(self) -> None:
        self.paged: list[tuple[str, str, list[str]]] = []

    @hookimpl
    def register_agent_events(self) -> list[dict[str, Any]]:
        return [{"name": "quality_hold", "label": "A batch was put on hold", "email": False},
                {"name": "assigned", "label": "Not mine to redefine"}, "not an event"]

    @hookimpl
    def register_agent_channels(self) -> list[dict[str, Any]]:
        return [{"name": "sms", "label": "Text message", "events": ["new_in_group", "quality_hold"]}]

    @hookimpl
    def agent_notification_recipients(self, ticket: Any, event: str) -> list[str]:
        return ["dave"] if event == "new_in_group" and "line-3" in ticket.tags else []

    @hookimpl
    def agent_notified(self, event: str, text: str, channels: dict[str, list[str]]) -> None:
        self.paged.append((event, text, sorted(name for name, chosen in channels.items() if "sms" in chosen)))

    @hookimpl
    def ticket_updated(self, ticket: Any, changes: dict[str, Any], session: Any) -> None:
        from hub.sdk import tracker

        if "on-hold" in ticket.tags and "tags" in changes:
            tracker.emit(session, "agent_event_raised", ticket.ref, event="quality_hold",
                         text=f"Batch of {ticket.ref} is on hold", usernames=["bob"], actor=None)


SUPERVISION = LineSupervision()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("line-supervision", SUPERVISION)]
    SUPERVISION.paged.clear()
    return app_config


def test_the_hooks_are_declared_by_the_plugin_and_documented() -> None:
    from hub import hookspecs as core

    names = [name for name, _, _ in hook_functions(hookspecs)]
    assert names == ["register_agent_events", "register_agent_channels", "agent_notification_recipients",
                     "agent_event_raised", "agent_notified"]
    assert not set(names) & {name for name, _, _ in hook_functions(core)}
    sections = plugin_hooks_sections(ROOT / "docs" / "hooks.md")
    assert sections["plugins.agent_notify.hookspecs"] == render_hooks_reference(hookspecs), \
        "docs/hooks.md is stale: run `itsm-hub config docs`"


def test_another_plugin_adds_recipients_events_and_channels(app: Flask, team: Any) -> None:
    assert app.extensions["hub"].plugins.records["line-supervision"].loaded
    ref = team.incident(group="quality", tags=["line-3"])
    assert team.kinds("dave") == [("new_in_group", ref)]  # the line's supervisor, added by the plugin
    assert SUPERVISION.paged == [("new_in_group", f"New in quality: {ref} Filler on line 3 stops every hour",
                                  ["bob", "carol", "dave"])]
    team.api.patch(f"/api/v1/incidents/{ref}", json={"tags": ["line-3", "on-hold"]})
    assert team.kinds("bob")[0] == ("quality_hold", ref)
    assert SUPERVISION.paged[-1] == ("quality_hold", f"Batch of {ref} is on hold", ["bob"])


def test_the_settings_page_offers_their_events_and_channels(app: Flask, team: Any) -> None:
    from tests.hub.ui.conftest import Browser

    page = Browser(app, "bob").text("/notifications/settings")
    assert "A batch was put on hold" in page and "Text message" in page
    assert "Not mine to redefine" not in page  # a plugin cannot rename the hub's own events
    assert 'name="quality_hold:sms" checked' in page and 'name="assigned:sms">' in page


@pytest.mark.parametrize("plugins", [[("agent-notify", "plugins.agent_notify")]])
def test_it_works_without_the_sla_plugin(app_config: dict[str, Any], plugins: list[Any]) -> None:
    from hub import create_app

    app_config["PLUGINS"] = plugins
    alone = create_app(app_config)
    try:
        runtime = alone.extensions["hub"]
        assert runtime.plugins.records["agent-notify"].loaded, runtime.plugins.records["agent-notify"].error
        assert "sla_breached" not in runtime.plugins.declared_hooks
    finally:
        alone.extensions["hub"].db.dispose()
