"""Tickets created in the current transaction, so the writes that follow skip lookups.

A ticket inserted by this transaction has no timers and no plugin data yet, and no other
transaction can see it (let alone give it some) until this one commits. The SLA plugin's
``ticket_created`` sets four timers and its data: without this, each write first SELECTs
for an existing row, and an event that opens a ticket costs a dozen round trips more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import instance_state

from hub.tracker.held_writes import held_writes

KEY = "hub.fresh_tickets"
#: The fresh tickets by reference, and the rows written for them (by model and ticket id):
#: a batch of new tickets asks for each many times, and scanning the session each time
#: would cost time in the square of the batch's size.
BY_REF = "hub.fresh_refs"
ROWS = "hub.fresh_rows"
_MISSING = object()


def mark_fresh(session: Session, ticket: Any) -> None:
    session.info.setdefault(KEY, set()).add(ticket.id)
    session.info.setdefault(BY_REF, {})[ticket.ref] = ticket


def is_fresh(session: Session, ticket_id: int) -> bool:
    return ticket_id in session.info.get(KEY, ())


def fresh_ticket(session: Session, ref: str) -> Any:
    """The ticket of this transaction with this reference, if it is one and still in the session."""
    ticket = session.info.get(BY_REF, {}).get(ref)
    return ticket if ticket is not None and _present(session, ticket) else None


def add_row(session: Session, obj: Any, *, to_session: bool = True, model: type | None = None) -> None:
    """Add a new row of a fresh ticket (its ``ticket_id``), for :func:`held` to find. Not
    ``to_session``: a batch holding its writes inserts it, a row of ``model``
    (hub.tracker.held_writes)."""
    if to_session:
        session.add(obj)
    session.info.setdefault(ROWS, {}).setdefault((model or type(obj), obj.ticket_id), []).append(obj)


def drop_rows(session: Session, model: type, ticket_id: int, keep: Any) -> list[Any]:
    """Forget the rows of ``model`` for a fresh ticket that ``keep(row)`` refuses; returns them."""
    rows = session.info.get(ROWS, {}).get((model, ticket_id), [])
    dropped = [row for row in rows if not keep(row)]
    rows[:] = [row for row in rows if keep(row)]
    return dropped


def forget_fresh(session: Session) -> None:
    """The fresh tickets' rows are written: read them from the database from now on."""
    _forget(session)


def held(session: Session, model: type, **values: Any) -> Any:
    """The row of ``model`` added by :func:`add_row` with these attribute values (one of
    them ``ticket_id``), or None. Compares what the objects hold, so nothing is loaded."""
    wanted = values.items()
    for obj in session.info.get(ROWS, {}).get((model, values["ticket_id"]), ()):
        loaded = vars(obj)  # what an ORM object holds is its __dict__ (its state's dict)
        # A plain loop, the values first: called for every timer of every ticket in a batch.
        for name, value in wanted:
            if loaded.get(name, _MISSING) != value:
                break
        else:
            if _present(session, obj):
                return obj
    return None


def _present(session: Session, obj: Any) -> bool:
    """Still in the session (not deleted, nor dropped by a savepoint's rollback), or held
    by a batch that writes it at its end (transient until then)."""
    held = held_writes(session)
    if held is not None and id(obj) in held.row_ids:
        return True
    state = instance_state(obj)  # what inspect() returns, without its registry lookup (hot: per write)
    return bool(state.pending or state.persistent)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # Committed, a ticket is visible to everyone; rolled back, it never was.
    for key in (KEY, BY_REF, ROWS):
        session.info.pop(key, None)
