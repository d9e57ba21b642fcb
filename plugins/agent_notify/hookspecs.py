"""The hooks the agent-notify plugin declares (``register_hookspecs``), so other plugins can add
events, recipients and channels to what agents are told.

The plugin calls them through ``hub.sdk.tracker.emit``; another plugin raises an event of its
own the same way (``emit(session, "agent_event_raised", ref, event=..., ...)``), since no
plugin imports another. docs/hooks.md lists them under "Hooks plugins declare".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.hookspecs import hookspec

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.sdk.actors import Actor
    from hub.sdk.values import TicketInfo


@hookspec
def register_agent_events(session: Session) -> list[dict[str, Any]]:
    """Return the events your plugin raises, so agents can choose how to hear of them:
    ``{"name": "quality_hold", "label": "A batch was put on hold", "email": True}`` (``email``:
    whether mail is on until the agent chooses; the list in the UI always is)."""


@hookspec
def register_agent_channels(session: Session) -> list[dict[str, Any]]:
    """Return the channels your plugin delivers on, shown as a column of each agent's choices:
    ``{"name": "sms", "label": "Text message", "events": ["sla_breached"]}`` (``events``: the
    events it is on for until the agent chooses; empty for none). Deliver in
    ``agent_notified``."""


@hookspec
def agent_notification_recipients(ticket: TicketInfo, event: str, session: Session) -> list[str]:
    """Return usernames to tell of ``event`` on ``ticket`` besides those the plugin found (a
    line's supervisor for an alarm, the CAB for a change). Each implementation adds; the
    one who caused the event is still left out, and people who are not active agents or
    admins are ignored."""


@hookspec
def agent_event_raised(ticket: TicketInfo, event: str, text: str, usernames: list[str], actor: Actor | None,
                       session: Session) -> None:
    """Tell agents of an event your plugin raised (declare it with ``register_agent_events``):
    ``usernames`` and whoever ``agent_notification_recipients`` adds hear ``text`` by the
    channels each chose. Raise it with ``hub.sdk.tracker.emit``; the agent-notify plugin
    implements it."""


@hookspec
def agent_notified(ticket: TicketInfo, event: str, text: str, channels: dict[str, list[str]], actor: Actor | None,
                   session: Session) -> None:
    """Agents were told of ``event`` on ``ticket``: ``channels`` maps each username to the
    channels they chose for it (``ui``, ``email``, ``webhook`` and those of
    ``register_agent_channels``). A channel plugin delivers its own here, in the
    transaction of the change (queue through the outbox: ``hub.sdk.hub_services.push``)."""
