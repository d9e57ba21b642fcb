"""A ticket's custom field values: checked on every write, kept twice, found by filters.

``custom_fields`` on a write is a merge: the names given are set, a name given as null (or
empty) is cleared, the rest stay. A name that is a defined field of the ticket's department
and kind is checked against its type; a name no field has is kept as plain data, as sources
always could (``jira_key``, ``rt_ticket``). The value goes into the ticket's JSON (what
pages, the API and exports read) and into ticket_field_values (what list filters use).

People are held to the rules (a page, the API, a web form: a ValidationFailed with one
message per field, under ``custom_fields.<name>``). A connector's event is never lost for
a bad value: the value is left out and the ticket's audit says why.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, false, select, update
from sqlalchemy.orm import Session

from hub.models import Ticket, TicketFieldValue
from hub.sdk.storable import first_unstorable
from hub.tracker.custom_fields import Definition, by_name, fields_for
from hub.tracker.org import id_for

TEXT_MAX = 500
#: The largest number a field keeps exactly enough to filter on (a double's integers).
NUMBER_MAX = 2.0**53


def field_key(name: str) -> str:
    """Where a field's messages go in a ValidationFailed and its changes in the audit."""
    return f"custom_fields.{name}"


@dataclass
class Checked:
    """What a write does to the custom fields: values to set (None clears), and what went wrong."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def check_custom_values(session: Session, *, kind: str, department_id: int | None, given: Mapping[str, Any] | None,
                        creating: bool, lenient: bool, current: Mapping[str, Any] | None = None) -> Checked:
    """Check ``given`` against the fields of a ``kind`` ticket in that department.

    ``lenient`` (a connector's event): a bad value is dropped with a note instead of an error,
    and required fields are not asked for. ``current``: the values the ticket has (an update).
    """
    out = Checked()
    given = dict(given or {})
    if not given and (lenient or not creating):
        return out  # nothing to check: no definitions are read on the hot path
    defined = by_name(session)
    applicable = {item.info.name for item in fields_for(session, kind, department_id)}
    for name, raw in given.items():
        definition = defined.get(name)
        if definition is None:
            out.values[name] = raw  # plain data, kept as sources always could
            continue
        if name not in applicable:
            _problem(out, name, f"Not a field of this {kind}'s department.", lenient)
            continue
        try:
            out.values[name] = typed_value(session, definition, raw)
        except ValueError as exc:
            _problem(out, name, str(exc), lenient)
            continue
        if out.values[name] is None and definition.info.required and not lenient:
            out.errors[field_key(name)] = ["Required."]
    if creating and not lenient:
        have = {**(current or {}), **{k: v for k, v in out.values.items() if v is not None}}
        for item in fields_for(session, kind, department_id):
            if item.info.required and have.get(item.info.name) in (None, "") and field_key(item.info.name) \
                    not in out.errors:
                out.errors[field_key(item.info.name)] = ["Required."]
    return out


def _problem(out: Checked, name: str, message: str, lenient: bool) -> None:
    if lenient:
        out.notes.append(f"Custom field {name} left out: {message}")
    else:
        out.errors.setdefault(field_key(name), []).append(message)


def typed_value(session: Session, definition: Definition, raw: Any) -> Any:
    """The value as the ticket keeps it (None: cleared); ValueError says what is wrong."""
    info = definition.info
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if info.type == "number":
        return _number(raw)
    if not isinstance(raw, str):
        if info.type == "date" and isinstance(raw, dt.date):
            return raw.isoformat()
        raise ValueError("Send text here." if info.type == "text" else f"Send a {_NOUNS[info.type]} as text.")
    text = raw.strip()
    if first_unstorable(text):
        raise ValueError("Contains characters that cannot be stored.")
    if len(text) > TEXT_MAX:
        raise ValueError(f"At most {TEXT_MAX} characters.")
    if info.type == "choice" and text not in info.options:
        raise ValueError(f"Must be one of: {', '.join(info.options)}.")
    if info.type == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("A date like 2026-11-23.") from None
    if info.type == "ci" and id_for(session, "ci", text) is None:
        raise ValueError(f"No configuration item {text!r}.")
    return text


_NOUNS = {"choice": "choice", "date": "date", "ci": "configuration item key", "text": "text"}


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValueError("A number.")
    value = raw
    if isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", ".")) if not raw.strip().lstrip("-").isdigit() else int(raw)
        except ValueError:
            raise ValueError("A number, like 42 or 3.5.") from None
    if not isinstance(value, int | float) or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError("A number, like 42 or 3.5.")
    if abs(value) > NUMBER_MAX:
        raise ValueError(f"Between -{int(NUMBER_MAX)} and {int(NUMBER_MAX)}.")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def store_custom_values(session: Session, ticket: Ticket, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Write checked values onto the ticket (JSON and index rows); returns ``{name: (old, new)}``."""
    if not values:
        return {}
    current = dict(ticket.custom_fields or {})
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        old = current.get(name)
        if old == new and (new is not None or name not in current):
            continue
        if new is None:
            current.pop(name, None)
        else:
            current[name] = new
        changes[name] = (old, new)
    if not changes:
        return changes
    ticket.custom_fields = current
    index_custom_values(session, ticket, {name: new for name, (_, new) in changes.items()})
    return changes


def index_custom_values(session: Session, ticket: Ticket, values: Mapping[str, Any], *, fresh: bool = False) -> None:
    """Keep ticket_field_values in step for the defined fields among ``values`` (``fresh``: a
    ticket just made, with no rows to replace)."""
    defined = by_name(session)
    touched = [defined[name] for name in values if name in defined]
    if not touched:
        return
    if not fresh:
        session.execute(delete(TicketFieldValue).where(
            TicketFieldValue.ticket_id == ticket.id, TicketFieldValue.field_id.in_([item.id for item in touched])))
    for item in touched:
        value = values[item.info.name]
        if value is None:
            continue
        row = TicketFieldValue(ticket_id=ticket.id, field_id=item.id)
        if item.info.type == "number":
            row.number_value = float(value)
        else:
            row.text_value = str(value)
            if item.info.type == "ci":
                row.ci_id = id_for(session, "ci", str(value))
        session.add(row)


def custom_condition(session: Session, name: str, wanted: str) -> Any:
    """A WHERE condition: the ticket's field ``name`` equals ``wanted`` (a filter's text).

    An indexed semi-join on ``(field_id, value, ticket_id)``: PostgreSQL and SQLite both
    read only the matching index entries, however many tickets there are. A number field
    also takes a range ``10..20`` (either end may be left out). An unknown field or a value
    the field cannot hold matches nothing.
    """
    definition = by_name(session).get(name)
    if definition is None:
        return false()
    column = TicketFieldValue.number_value if definition.info.type == "number" else TicketFieldValue.text_value
    rows = select(TicketFieldValue.ticket_id).where(TicketFieldValue.field_id == definition.id)
    if definition.info.type in ("number", "date") and ".." in wanted:
        low, _, high = wanted.partition("..")
        bounds = []
        try:
            if low.strip():
                bounds.append(column >= _bound(session, definition, low))
            if high.strip():
                bounds.append(column <= _bound(session, definition, high))
        except ValueError:
            return false()
        return Ticket.id.in_(rows.where(and_(*bounds)))
    try:
        value = _bound(session, definition, wanted)
    except ValueError:
        return false()
    return Ticket.id.in_(rows.where(column == value))


def _bound(session: Session, definition: Definition, text: str) -> Any:
    if definition.info.type == "number":
        return float(_number(text.strip()))
    if definition.info.type == "date":
        return dt.date.fromisoformat(text.strip()).isoformat()
    if definition.info.type == "choice" and text.strip() not in definition.info.options:
        raise ValueError("not an option")
    return text.strip()


def values_of(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The ticket's values of its defined fields (what forms show), by name."""
    mine = fields_for(session, ticket.kind, ticket.department_id)
    stored = ticket.custom_fields or {}
    return {item.info.name: stored.get(item.info.name) for item in mine}


def follow_renamed_ci(session: Session, item_id: int, new_key: str) -> int:
    """A configuration item's key changed: the tickets naming it in a field say the new key."""
    rows = list(session.execute(select(TicketFieldValue.ticket_id, TicketFieldValue.field_id)
                                .where(TicketFieldValue.ci_id == item_id)))
    if not rows:
        return 0
    names = {item.id: item.info.name for item in by_name(session).values()}
    for ticket_id, field_id in rows:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None and field_id in names:
            ticket.custom_fields = {**(ticket.custom_fields or {}), names[field_id]: new_key}
    session.execute(update(TicketFieldValue).where(TicketFieldValue.ci_id == item_id)
                    .values(text_value=new_key))
    return len(rows)
