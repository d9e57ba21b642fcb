"""A configuration item's history: its tickets and changes newest first, its recurring faults
counted, and what admins did to the item itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from hub.models import ConfigurationItem, OrgChange, Ticket
from hub.tracker.ci_items import path_of, subtree_ids
from hub.tracker.org_log import changes_of
from hub.tracker.sla_clock import OPEN_STATES
from hub.tracker.states import MACHINES

#: Tickets listed at most on one history page; the counts above them cover all.
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass(frozen=True)
class Recurring:
    """One fault that came back: the tickets and occurrences sharing a correlation key."""

    key: str
    tickets: int
    occurrences: int
    open_tickets: int
    last_seen_at: datetime | None


@dataclass
class CiHistory:
    item: ConfigurationItem
    path: list[ConfigurationItem]
    """The item's parents, top first, and the item last."""
    children: list[ConfigurationItem]
    below: bool
    """Whether the tickets of the items below this one are included."""
    items_covered: int
    tickets: list[tuple[Ticket, str]]
    """(ticket, key of its item), newest first, at most the limit asked for."""
    totals: dict[str, int] = field(default_factory=dict)
    """incidents, changes, problems, open, occurrences: over every ticket, not only those listed."""
    recurring: list[Recurring] = field(default_factory=list)
    log: list[OrgChange] = field(default_factory=list)


def _totals(session: Session, scope: Any) -> dict[str, int]:
    row = session.execute(select(
        func.count(),
        *[func.coalesce(func.sum(case((Ticket.kind == kind, 1), else_=0)), 0) for kind in MACHINES],
        func.coalesce(func.sum(case((Ticket.status.in_(sorted(OPEN_STATES)), 1), else_=0)), 0),
        func.coalesce(func.sum(Ticket.occurrence_count), 0),
    ).where(scope)).one()
    total, *per_kind, open_count, occurrences = (int(value) for value in row)
    return {"tickets": total, **{f"{kind}s": count for kind, count in zip(MACHINES, per_kind, strict=True)},
            "open": open_count, "occurrences": occurrences}


def _recurring(session: Session, scope: Any, limit: int = 20) -> list[Recurring]:
    """Correlation keys that came back: more than one ticket, or one ticket seen more than once."""
    tickets = func.count()
    occurrences = func.coalesce(func.sum(Ticket.occurrence_count), 0)
    query = (select(Ticket.correlation_key, tickets, occurrences,
                    func.coalesce(func.sum(case((Ticket.status.in_(sorted(OPEN_STATES)), 1), else_=0)), 0),
                    func.max(func.coalesce(Ticket.last_seen_at, Ticket.created_at)))
             .where(scope, Ticket.correlation_key.is_not(None))
             .group_by(Ticket.correlation_key)
             .having(or_(tickets > 1, occurrences > 1))
             .order_by(occurrences.desc(), tickets.desc(), Ticket.correlation_key).limit(limit))
    return [Recurring(key, int(count), int(seen), int(open_count), last)
            for key, count, seen, open_count, last in session.execute(query)]


def ci_history(session: Session, item: ConfigurationItem, *, below: bool = False,
               limit: int = DEFAULT_LIMIT) -> CiHistory:
    """The item's tickets (with ``below``, also those of every item under it), newest first."""
    ids = subtree_ids(session, item.id) if below else [item.id]
    scope = Ticket.ci_id.in_(ids) if len(ids) > 1 else Ticket.ci_id == item.id
    rows = session.execute(
        select(Ticket, ConfigurationItem.key).join(ConfigurationItem, ConfigurationItem.id == Ticket.ci_id)
        .where(scope).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    ).all()
    children = list(session.scalars(select(ConfigurationItem).where(ConfigurationItem.parent_id == item.id)
                                    .order_by(ConfigurationItem.name)))
    return CiHistory(item=item, path=path_of(session, item.id), children=children, below=below,
                     items_covered=len(ids), tickets=list(rows), totals=_totals(session, scope),
                     recurring=_recurring(session, scope), log=changes_of(session, "ci", item.id))
