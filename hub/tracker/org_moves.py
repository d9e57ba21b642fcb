"""Moving rows from one organisation item to another, set-based, for merges.

A merge can move thousands of tickets: they move with one UPDATE and their audit rows go in
with one multi-row INSERT, never a flush per ticket. Each moved ticket's version rises, so a
client holding an old ETag is told the ticket changed. Lifecycle hooks are not called and
nothing is pushed to linked systems: a merge renames the organisation, it does not work the
tickets (their audit trail says what happened).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import AuditEvent, Ticket
from hub.sdk.actors import Actor

#: Audit rows per INSERT statement: bounded so a huge merge keeps its parameters in bounds.
AUDIT_BATCH = 1000


def move_rows(session: Session, model: Any, column: str, old_id: int, new_id: int) -> int:
    """Point every ``model`` row whose ``column`` is ``old_id`` at ``new_id``; returns how many."""
    attribute = getattr(model, column)
    result = session.execute(update(model).where(attribute == old_id).values({attribute: new_id})
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def move_tickets(session: Session, column: str, old_id: int, new_id: int, field_name: str, old_name: str,
                 new_name: str, actor: Actor | None, note: str) -> int:
    """Move tickets from one item to another, with an ``updated`` audit row on each."""
    attribute = getattr(Ticket, column)
    ids = list(session.scalars(select(Ticket.id).where(attribute == old_id).order_by(Ticket.id)))
    if not ids:
        return 0
    who = actor or Actor.system()
    row = {"at": runtime_of(session).now(), "action": "updated", "actor_type": who.type, "actor_id": who.id,
           "actor_name": who.name[:200], "origin": who.origin[:120], "changes": {field_name: [old_name, new_name]},
           "note": note}
    for start in range(0, len(ids), AUDIT_BATCH):
        session.execute(insert(AuditEvent), [{**row, "ticket_id": ident} for ident in ids[start:start + AUDIT_BATCH]])
    session.execute(update(Ticket).where(attribute == old_id)
                    .values({attribute: new_id, Ticket.version: Ticket.version + 1})
                    .execution_options(synchronize_session=False))
    return len(ids)
