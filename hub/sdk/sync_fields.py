"""The hub fields a sync rule may name, and how their values travel as text.

The sync engine compares values as text in the remote's words (hub.sdk.sync), so every
hub field has one text form: a level or a name as it is, a priority as ``"1"`` to ``"5"``,
a moment of a change's planned window as ISO 8601 in UTC to the second
(``2026-12-04T09:30:00Z``). A connector turns its own date format into that form when it
reads a record and back when it writes, so a window the hub wrote reads back equal, never
as a change.

Rules name a field by its hub name (``category``, ``group``, ``ci``, ``planned_start``).
Custom fields are named ``custom:<name>``: the prefix is reserved here, so when the
tracker's custom fields are synced they slot in as one more kind of field (read and
written through ``TicketInfo.custom_fields``) without another rule format. Until then a
rule naming one is refused with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CUSTOM_PREFIX = "custom:"
"""Reserved for the tracker's custom fields (``custom:serial_number``); not synced yet."""

MOMENT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""The text form of a planned start or end: ISO 8601, UTC, whole seconds."""

LEVELS = ("high", "medium", "low")
PRIORITIES = ("1", "2", "3", "4", "5")
INCIDENT_STATES = ("new", "acknowledged", "in_progress", "on_hold", "resolved", "closed", "cancelled")
CHANGE_STATES = ("draft", "submitted", "assessment", "approved", "rejected", "scheduled", "implementing", "review",
                 "closed", "failed", "backed_out", "cancelled")
"""The tracker's states (hub.tracker.states keeps the moves; a test keeps the two in step)."""


@dataclass(frozen=True)
class HubField:
    """One ticket field a sync rule may keep in step."""

    name: str
    kind: str
    """``text``, ``level``, ``priority``, ``status``, ``name`` (an organisation item) or ``moment``."""
    org: str | None = None
    """For ``name`` fields: the organisation item it names (hub.sdk.references kinds)."""
    changes_only: bool = False
    """Only changes have it (the planned window)."""


HUB_FIELDS: dict[str, HubField] = {field.name: field for field in (
    HubField("title", "text"),
    HubField("description", "text"),
    HubField("status", "status"),
    HubField("impact", "level"),
    HubField("urgency", "level"),
    HubField("priority", "priority"),
    HubField("category", "name", org="category"),
    HubField("group", "name", org="group"),
    HubField("assignee", "name", org="user"),
    HubField("ci", "name", org="ci"),
    HubField("planned_start", "moment", changes_only=True),
    HubField("planned_end", "moment", changes_only=True),
)}
SYNCED_FIELDS = tuple(HUB_FIELDS)


def field_problem(name: str) -> str | None:
    """Why a rule cannot name ``name`` as its hub field, or None."""
    if name in HUB_FIELDS:
        return None
    if name.startswith(CUSTOM_PREFIX):
        return f"{name}: custom fields are not synced yet; name one of {', '.join(SYNCED_FIELDS)}."
    return f"Unknown hub field {name!r}; name one of {', '.join(SYNCED_FIELDS)}."


def choices(name: str, kind: str | None = None) -> tuple[str, ...] | None:
    """The hub values a field can hold, where they are a fixed list (None: names, text, moments)."""
    field = HUB_FIELDS[name]
    if field.kind == "level":
        return LEVELS
    if field.kind == "priority":
        return PRIORITIES
    if field.kind == "status":
        if kind == "incident":
            return INCIDENT_STATES
        if kind == "change":
            return CHANGE_STATES
        return tuple(dict.fromkeys(INCIDENT_STATES + CHANGE_STATES))
    return None


def value_problem(name: str, value: str, kind: str | None = None) -> str | None:
    """Why ``value`` is no hub value of the field (for a value map), or None."""
    allowed = choices(name, kind)
    if allowed is not None and value not in allowed:
        return f"{value!r} is no hub {name}; use one of {', '.join(allowed)}."
    if HUB_FIELDS[name].kind == "moment" and value:
        try:
            parse_moment(value)
        except ValueError as exc:
            return str(exc)
    return None


def moment_text(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(MOMENT_FORMAT)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time (a zone offset or ``Z``; none is read as UTC), as aware UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def hub_text(name: str, value: Any) -> str:
    """A hub value in its text form (empty for none)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return moment_text(value)
    return str(value)


def hub_value(name: str, text: str, kind: str | None = None) -> Any:
    """A text form back as the tracker takes it; ValueError says why it cannot be (a level
    the hub does not have, a date that is none)."""
    if text == "":
        return None
    field = HUB_FIELDS[name]
    problem = value_problem(name, text, kind) if field.kind in ("level", "priority", "status") else None
    if problem:
        raise ValueError(problem)
    if field.kind == "priority":
        return int(text)
    if field.kind == "moment":
        return parse_moment(text)
    return text


def ticket_value(ticket: Any, name: str) -> Any:
    """The field's value on a ticket snapshot (hub.sdk.values.TicketInfo)."""
    # The one place a ``custom:`` field will read ``ticket.custom_fields`` from.
    return getattr(ticket, name, None)
