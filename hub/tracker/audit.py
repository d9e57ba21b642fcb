"""The audit trail: one row per change, naming the actor and the channel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import AuditEvent, Ticket
from hub.sdk.actors import Actor
from hub.tracker.held_writes import held_writes


def _plain(value: Any) -> Any:
    """Audit changes are JSON: times as ISO text, everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    # A plain INSERT: audit rows are never read back in the transaction that writes them,
    # so they need none of the ORM's bookkeeping (this runs for every change). The
    # statement is built once; the values go in as parameters. In a batch that holds its
    # writes (hub.tracker.held_writes) the row waits to go in with the batch's others.
    row = {
        "ticket_id": ticket.id,
        "at": runtime_of(session).now(),
        "action": action,
        "actor_type": actor.type,
        "actor_id": actor.id,
        "actor_name": actor.name[:200],
        "origin": actor.origin[:120],
        "changes": {
            key: [_plain(v) for v in value] if isinstance(value, tuple | list) else _plain(value)
            for key, value in (changes or {}).items()
        },
        "note": note,
    }
    held = held_writes(session)
    if held is not None:
        held.audit.append(row)
    else:
        session.execute(_INSERT, row)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows built by :func:`record` (held by a batch) in one statement."""
    if rows:
        session.execute(_INSERT, rows)


_INSERT = insert(AuditEvent)


def history(session: Session, ticket_id: int, *, after_id: int | None = None, limit: int = 200) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.ticket_id == ticket_id)
    if after_id is not None:
        query = query.where(AuditEvent.id > after_id)
    return list(session.scalars(query.order_by(AuditEvent.id).limit(limit)))
