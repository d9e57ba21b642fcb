"""The events agents hear of, the channels they hear by, and each person's choice between them.

A person's choices are kept with them (``hub.sdk.hub_services.preferences``, under the
plugin's name) as ``{"events": {event: [channel, ...]}, "email": "instant" | "hourly"}``;
an event they never chose for follows the defaults below, so a new event or channel
reaches people without anyone saving their settings again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.sdk import tracker as services
from hub.sdk.values import PersonInfo

NAME = "agent-notify"
EMAIL_MODES = {"instant": "One mail per event, at once", "hourly": "One digest mail an hour"}


@dataclass(frozen=True)
class Event:
    name: str
    label: str
    email: bool
    """Mail is on for it until the person chooses."""


@dataclass(frozen=True)
class Channel:
    name: str
    label: str
    events: frozenset[str] | None = None
    """The events it is on for until the person chooses; None: every event."""


#: The plugin's own events. Mail is on by default where someone must act soon; the list in
#: the UI is on for all of them.
EVENTS = (
    Event("new_in_group", "A new ticket in my group", email=True),
    Event("assigned", "A ticket is assigned to me", email=True),
    Event("requester_replied", "The requester replied on my ticket", email=False),
    Event("sla_warning", "A service level is close to its due time", email=False),
    Event("sla_breached", "A service level was missed", email=True),
    Event("approval_needed", "A change awaits my approval", email=True),
    Event("mentioned", "Someone mentioned me (@name)", email=True),
)
CHANNELS = (
    Channel("ui", "In the hub"),
    Channel("email", "Mail", frozenset(event.name for event in EVENTS if event.email)),
    Channel("webhook", "Team webhook"),
)


@dataclass
class Catalog:
    """Every event and channel there is: the plugin's and those other plugins register."""

    events: dict[str, Event] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)

    def label(self, event: str) -> str:
        found = self.events.get(event)
        return found.label if found is not None else event.replace("_", " ")


def catalog(session: Session) -> Catalog:
    """The events and channels, with other plugins' (``register_agent_events``,
    ``register_agent_channels``); one of theirs never replaces one of ours."""
    found = Catalog({event.name: event for event in EVENTS}, {channel.name: channel for channel in CHANNELS})
    for answer in services.emit(session, "register_agent_events", None):
        for item in answer or []:
            event = _event(item)
            if event is not None:
                found.events.setdefault(event.name, event)
    for answer in services.emit(session, "register_agent_channels", None):
        for item in answer or []:
            channel = _channel(item)
            if channel is not None:
                found.channels.setdefault(channel.name, channel)
    return found


def _event(item: Any) -> Event | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        return None
    return Event(item["name"][:64], str(item.get("label") or item["name"]), bool(item.get("email")))


def _channel(item: Any) -> Channel | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        return None
    events = item.get("events")
    return Channel(item["name"][:32], str(item.get("label") or item["name"]),
                   frozenset(str(name) for name in events) if isinstance(events, list) else frozenset())


def default_channels(found: Catalog, event: str) -> list[str]:
    """The channels an event goes to until the person chooses: the list, mail where the event
    asks for it, and every other channel that is on for it."""
    chosen = []
    for channel in found.channels.values():
        if channel.name == "email":
            wanted = found.events.get(event, Event(event, event, False)).email
        else:
            wanted = channel.events is None or event in channel.events
        if wanted:
            chosen.append(channel.name)
    return chosen


def stored(person: PersonInfo) -> dict[str, Any]:
    value = person.preferences.get(NAME)
    return value if isinstance(value, dict) else {}


def chosen_channels(person: PersonInfo, found: Catalog, event: str) -> list[str]:
    """The channels ``person`` hears of ``event`` by."""
    mine = stored(person).get("events")
    if isinstance(mine, dict) and isinstance(mine.get(event), list):
        return [channel for channel in found.channels if channel in mine[event]]
    return default_channels(found, event)


def email_mode(person: PersonInfo) -> str:
    mode = stored(person).get("email")
    return mode if mode in EMAIL_MODES else "instant"


def table(found: Catalog, choices: dict[str, Any]) -> dict[str, list[str]]:
    """Every event's channels as the settings page shows them: the stored choice, else the default."""
    stored_events = choices.get("events")
    mine: dict[str, Any] = stored_events if isinstance(stored_events, dict) else {}
    return {event: [channel for channel in found.channels if channel in mine[event]]
            if isinstance(mine.get(event), list) else default_channels(found, event) for event in found.events}


def from_form(found: Catalog, form: Any) -> dict[str, Any]:
    """The choices a settings form sent: a checkbox named ``<event>:<channel>`` per choice made.
    Names the catalog does not know are ignored (a form from before a plugin left)."""
    events = {event: [channel for channel in found.channels if form.get(f"{event}:{channel}") == "on"]
              for event in found.events}
    mode = form.get("email")
    return {"events": events, "email": mode if mode in EMAIL_MODES else "instant"}
