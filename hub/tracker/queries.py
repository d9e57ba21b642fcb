"""Reading lists of tickets: filters, sort orders and keyset (cursor) paging.

Keyset paging keeps every page as cheap as the first at a million tickets: the cursor
holds the sort value and id of the last row, and the next page starts strictly after it
using the same index that serves the sort.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.sdk.safe_json import parse_json
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker.field_values import custom_condition
from hub.tracker.org import category_id, id_for
from hub.tracker.search import matches_first, relevance, search_text, text_match
from hub.tracker.tickets import normal_email

SORTS: dict[str, tuple[Any, bool]] = {
    # name -> (column, descending)
    "-updated_at": (Ticket.updated_at, True),
    "updated_at": (Ticket.updated_at, False),
    "-created_at": (Ticket.created_at, True),
    "created_at": (Ticket.created_at, False),
    "priority": (Ticket.priority, False),
    "-priority": (Ticket.priority, True),
}
RELEVANCE = "relevance"
"""Best match first; only with a search text (``q``)."""
RELEVANCE_WINDOW = 1000
"""How many of the most recently changed matches ``relevance`` ranks."""
LIST_SORTS = [*SORTS, RELEVANCE]
"""Every sort list_tickets takes (the UI's lists, which merge kinds by column, offer SORTS)."""
MAX_LIMIT = 200


@dataclass
class TicketFilter:
    kind: str | None = None
    status: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    department: str | None = None
    category: str | None = None
    assignee: str | None = None
    group: str | None = None
    source: str | None = None
    ci: str | None = None
    requester_email: str | None = None
    q: str | None = None
    updated_since: datetime | None = None
    open_only: bool = False
    ids: list[int] | None = None
    sla: str | None = None
    """``breached`` or ``due_soon`` (hub.tracker.sla_clock), at the session's clock."""
    custom: list[tuple[str, str]] = field(default_factory=list)
    """Custom field values, ``(name, value)``: equal, or for numbers and dates a range ``low..high``."""


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None


def encode_cursor(sort: str, value: Any, ident: int) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = json.dumps([sort, value, ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The sort value and id a cursor of ``encode_cursor`` holds; anything else is a 422.

    A cursor comes back from the client, so each part is checked for the type and range
    the sort's column holds before it reaches a query: a database refuses the wrong type
    (PostgreSQL) or an id past 64 bits with an error, not an empty page.
    """
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = parse_json(base64.urlsafe_b64decode(padded.encode()).decode("utf-8"))
        if not (isinstance(decoded, list) and len(decoded) == 3):
            raise ValueError("not a cursor")
        cursor_sort, value, ident = decoded
        if not isinstance(cursor_sort, str):
            raise ValueError("not a sort")
    except (ValueError, binascii.Error):
        raise ValidationFailed({"cursor": [NOT_A_CURSOR]}) from None
    if cursor_sort != sort:
        raise ValidationFailed({"cursor": [f"This cursor belongs to sort={cursor_sort[:40]}; keep the same sort."]})
    if not _is_id(ident):
        raise ValidationFailed({"cursor": [NOT_A_CURSOR]})
    return _sort_value(value, None if sort == RELEVANCE else SORTS[sort][0]), ident


NOT_A_CURSOR = "Not a cursor this API gave out."
MAX_CURSOR_LENGTH = 200
MAX_ID = 2**63 - 1


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def _sort_value(value: Any, column: Any) -> Any:
    """The cursor's sort value, as the column holds it (an aware time, a priority, or for
    relevance, None, a score)."""
    if column is None:
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise ValidationFailed({"cursor": [NOT_A_CURSOR]})
    if column is Ticket.priority:
        if isinstance(value, int) and not isinstance(value, bool) and -32768 <= value <= 32767:
            return value
        raise ValidationFailed({"cursor": [NOT_A_CURSOR]})
    try:
        if not (isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str)):
            raise ValueError("not a time")
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError("not an aware time")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationFailed({"cursor": [NOT_A_CURSOR]}) from None


def apply_filter(session: Session, query: Select[Any], flt: TicketFilter) -> Select[Any]:
    """Add the WHERE clauses of a filter; unknown names match nothing rather than erroring."""
    conditions = [*_field_conditions(flt), *_reference_conditions(session, flt)]
    if flt.q:
        conditions.append(text_match(session, flt.q))
    if flt.sla:
        conditions.append(_sla_condition(session, flt.sla))
    for name, wanted in flt.custom:
        conditions.append(custom_condition(session, name, wanted))
    return query.where(and_(*conditions)) if conditions else query


def _field_conditions(flt: TicketFilter) -> list[Any]:
    """The conditions on the ticket's own columns."""
    from hub.tracker.states import MACHINES

    conditions: list[Any] = []
    if flt.kind:
        conditions.append(Ticket.kind == flt.kind)
    if flt.status:
        conditions.append(Ticket.status.in_(flt.status))
    if flt.open_only:
        open_states: set[str] = set()
        for kind, machine in MACHINES.items():
            if flt.kind in (None, kind):
                open_states |= machine.open_states
        conditions.append(Ticket.status.in_(sorted(open_states)))
    if flt.priority:
        conditions.append(Ticket.priority.in_(flt.priority))
    if flt.source:
        conditions.append(Ticket.source == flt.source)
    if flt.requester_email:
        # Stored in lower case (hub.tracker.tickets.normal_email), so equality uses the index.
        conditions.append(Ticket.requester_email == normal_email(flt.requester_email))
    if flt.updated_since:
        conditions.append(Ticket.updated_at >= flt.updated_since)
    if flt.ids is not None:
        conditions.append(Ticket.id.in_(flt.ids))
    return conditions


def _reference_conditions(session: Session, flt: TicketFilter) -> list[Any]:
    """The conditions on what the ticket refers to by name (department, people, category, CI)."""
    conditions: list[Any] = []
    for value, what, column in (
        (flt.department, "department", Ticket.department_id),
        (flt.assignee, "user", Ticket.assignee_id),
        (flt.group, "group", Ticket.group_id),
        (flt.ci, "ci", Ticket.ci_id),
    ):
        if value:
            ident = id_for(session, what, value)
            conditions.append(column == ident if ident is not None else false())
    if flt.category:
        ident = category_id(session, flt.category, None, create=False)
        conditions.append(Ticket.category_id == ident if ident is not None else false())
    return conditions


def _sla_condition(session: Session, name: str) -> Any:
    from hub.core.runtime import runtime_of
    from hub.tracker.sla_clock import SLA_FILTERS, sla_condition

    if name not in SLA_FILTERS:
        raise ValidationFailed({"sla": [f"Must be one of: {', '.join(SLA_FILTERS)}."]})
    return sla_condition(name, runtime_of(session).now())


def list_tickets(
    session: Session, flt: TicketFilter, *, sort: str = "-updated_at", limit: int = 50, cursor: str | None = None
) -> Page:
    """A page of tickets in a sort of SORTS or, with a search text, ``relevance``: best match
    first (hub.tracker.search) among the RELEVANCE_WINDOW most recently changed matches."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed({"limit": [f"Must be 1 to {MAX_LIMIT}."]})
    column, descending = _sort_order(session, flt, sort)
    few = matches_first(session, flt.q) if flt.q else None
    if few is not None:
        # A rare word on SQLite: read its few matches, then each ticket by id.
        query = apply_filter(session, select(Ticket, column).select_from(few), replace(flt, q=None))
    elif sort == RELEVANCE:
        # Ranking every match of a frequent word reads and ranks them all (200,000 tickets,
        # 450 ms at a million on PostgreSQL); the newest RELEVANCE_WINDOW matches come from
        # the newest-first index as a plain search does, and only those are ranked.
        newest = apply_filter(session, select(Ticket.id), flt).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        query = select(Ticket, column).where(Ticket.id.in_(newest.limit(RELEVANCE_WINDOW)))
    else:
        query = apply_filter(session, select(Ticket, column), flt)
    if cursor:
        value, ident = decode_cursor(cursor, sort)
        if descending:
            query = query.where(or_(column < value, and_(column == value, Ticket.id < ident)))
        else:
            query = query.where(or_(column > value, and_(column == value, Ticket.id > ident)))
    order = (column.desc(), Ticket.id.desc()) if descending else (column.asc(), Ticket.id.asc())
    rows = session.execute(query.order_by(*order).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last, value = rows[-1]
        next_cursor = encode_cursor(sort, value, last.id)
    return Page(items=[row[0] for row in rows], next_cursor=next_cursor)


def _sort_order(session: Session, flt: TicketFilter, sort: str) -> tuple[Any, bool]:
    """The sort's column (or relevance expression) and whether it runs high to low."""
    if sort == RELEVANCE:
        if not (flt.q and search_text(flt.q)):
            raise ValidationFailed({"sort": [f"sort={RELEVANCE} needs a search text (q)."]})
        # Labelled: the sort and the page's cursor read the one score each ticket gets.
        return relevance(session, flt.q).label("relevance"), True
    if sort not in SORTS:
        raise ValidationFailed({"sort": [f"Must be one of: {', '.join(LIST_SORTS)}."]})
    return SORTS[sort]


def custom_filters(pairs: list[str]) -> list[tuple[str, str]]:
    """``name:value`` texts (the ``custom`` query parameter) as pairs; ValidationFailed for a
    text without a name."""
    out = []
    for pair in pairs:
        name, colon, value = pair.partition(":")
        if not colon or not name.strip():
            raise ValidationFailed({"custom": [f"Write name:value, as lot:L-77 or batch:10..20, not {pair[:40]!r}."]})
        out.append((name.strip(), value.strip()))
    return out


def count_tickets(session: Session, flt: TicketFilter) -> int:
    return int(session.scalar(apply_filter(session, select(func.count(Ticket.id)), flt)) or 0)
