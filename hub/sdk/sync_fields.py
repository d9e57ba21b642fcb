"""The hub fields a sync rule may name, and how their values travel as text.

The sync engine compares values as text in the remote's words (hub.sdk.sync), so every
hub field has one text form: a level or a name as it is, a priority as ``"1"`` to ``"5"``,
a moment of a change's planned window as ISO 8601 in UTC to the second
(``2026-12-04T09:30:00Z``). A connector turns its own date format into that form when it
reads a record and back when it writes, so a window the hub wrote reads back equal, never
as a change.

Rules name a field by its hub name (``category``, ``group``, ``ci``, ``planned_start``).
The tracker's custom fields are named ``custom:<name>`` (``custom:lot``): read from and
written to ``TicketInfo.custom_fields``, in their text form (a number as its text, a date
as ``YYYY-MM-DD``, a choice as its option, an item reference as the item's key). Whether
such a field is defined, and whether a value map names its options, is checked when the
instance is saved, against the hub's definitions
(:meth:`hub.sdk.sync_settings.SyncSettings.custom_field_problems`); a remote value the
field cannot hold is left out and the ticket's audit says why. :func:`hub_field` answers
for every name a rule may hold, custom ones included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CUSTOM_PREFIX = "custom:"
"""Names the tracker's custom fields in a rule (``custom:serial_number``)."""

CUSTOM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
"""A custom field's name, as the tracker allows it (hub.tracker.custom_fields)."""

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
    """``text``, ``level``, ``priority``, ``status``, ``name`` (an organisation item), ``moment``
    or ``custom`` (one of the tracker's custom fields, :attr:`custom_name`)."""
    org: str | None = None
    """For ``name`` fields: the organisation item it names (hub.sdk.references kinds)."""
    changes_only: bool = False
    """Only changes have it (the planned window)."""

    @property
    def custom_name(self) -> str | None:
        """The key in ``custom_fields`` of a ``custom:<name>`` field; None for the others."""
        return self.name.removeprefix(CUSTOM_PREFIX) if self.kind == "custom" else None


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
    """Why a rule cannot name ``name`` as its hub field, or None (whether a ``custom:`` field
    is defined is checked against the hub's definitions on save)."""
    if name in HUB_FIELDS:
        return None
    if name.startswith(CUSTOM_PREFIX):
        if CUSTOM_NAME.match(name.removeprefix(CUSTOM_PREFIX)):
            return None
        return (f"{name!r} is no custom field name: custom:<name>, the name in lower case letters, digits and "
                "underscores (custom:lot).")
    return f"Unknown hub field {name!r}; name one of {', '.join(SYNCED_FIELDS)}, or custom:<name>."


def hub_field(name: str) -> HubField:
    """The hub field a rule names: one of :data:`HUB_FIELDS`, or a ``custom:<name>`` field.
    KeyError for a name no rule may hold (:func:`field_problem` says why)."""
    field = HUB_FIELDS.get(name)
    if field is not None:
        return field
    if field_problem(name) is None:
        return HubField(name, "custom")
    raise KeyError(name)


def custom_name(name: str) -> str | None:
    """The custom field a rule's hub field names (``custom:lot`` -> ``lot``), or None."""
    return name.removeprefix(CUSTOM_PREFIX) if name.startswith(CUSTOM_PREFIX) else None


def custom_value_problem(options: tuple[str, ...], value: str) -> str | None:
    """Why ``value`` is no option of a choice custom field (for a value map), or None."""
    if value and value not in options:
        return f"{value!r} is no option of the field; use one of {', '.join(options)}."
    return None


def custom_rule_problems(rule: Mapping[str, Any], defined: Mapping[str, tuple[str, tuple[str, ...]]]
                         ) -> dict[str, list[str]]:
    """A ``custom:`` rule checked against the hub's custom fields, by the rule's key: the field
    is defined, and a choice field's value maps name its options. ``defined`` holds each
    field's type and options by name."""
    name = custom_name(str(rule.get("field") or ""))
    if name is None:
        return {}
    if name not in defined:
        have = ", ".join(f"custom:{known}" for known in sorted(defined)) or "none yet (Admin > Custom fields)"
        return {"field": [f"No custom field {name!r}; the defined ones: {have}."]}
    type_, options = defined[name]
    if type_ != "choice":
        return {}
    errors: dict[str, list[str]] = {}
    for remote, hub in dict(rule.get("values_in") or {}).items():
        if (problem := custom_value_problem(options, str(hub))) is not None:
            errors.setdefault("values_in", []).append(f"{remote!r} maps to {problem}")
    for hub in dict(rule.get("values_out") or {}):
        if hub != "*" and (problem := custom_value_problem(options, str(hub))) is not None:
            errors.setdefault("values_out", []).append(problem)
    return errors


def choices(name: str, kind: str | None = None) -> tuple[str, ...] | None:
    """The hub values a field can hold, where they are a fixed list (None: names, text, moments,
    custom fields: a choice field's options are checked on save)."""
    field = hub_field(name)
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
    if hub_field(name).kind == "moment" and value:
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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number field's 3.0 is the 3 a remote shows
    return str(value)


def hub_value(name: str, text: str, kind: str | None = None) -> Any:
    """A text form back as the tracker takes it; ValueError says why it cannot be (a level
    the hub does not have, a date that is none)."""
    if text == "":
        return None
    field = hub_field(name)
    problem = value_problem(name, text, kind) if field.kind in ("level", "priority", "status") else None
    if problem:
        raise ValueError(problem)
    if field.kind == "priority":
        return int(text)
    if field.kind == "moment":
        return parse_moment(text)
    return text  # a custom field's text: the tracker types it (and leaves out what it cannot hold)


def ticket_value(ticket: Any, name: str) -> Any:
    """The field's value on a ticket snapshot (hub.sdk.values.TicketInfo); a ``custom:``
    field's from its ``custom_fields``."""
    custom = custom_name(name)
    if custom is not None:
        return (getattr(ticket, "custom_fields", None) or {}).get(custom)
    return getattr(ticket, name, None)
