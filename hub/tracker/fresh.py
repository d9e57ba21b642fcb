"""Tickets created in the current transaction, so the writes that follow skip lookups.

A ticket inserted by this transaction has no timers and no plugin data yet, and no other
transaction can see it (let alone give it some) until this one commits. The SLA plugin's
``ticket_created`` sets four timers and its data: without this, each write first SELECTs
for an existing row, and an event that opens a ticket costs a dozen round trips more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

KEY = "hub.fresh_tickets"


def mark_fresh(session: Session, ticket_id: int) -> None:
    session.info.setdefault(KEY, set()).add(ticket_id)


def is_fresh(session: Session, ticket_id: int) -> bool:
    return ticket_id in session.info.get(KEY, ())


def held(session: Session, model: type, **values: Any) -> Any:
    """The pending or loaded ``model`` object with these attribute values, or None.

    Compares what the objects hold (their state's dict), so nothing is loaded to look.
    """
    def matches(obj: Any) -> bool:
        loaded = inspect(obj).dict
        return all(name in loaded and loaded[name] == value for name, value in values.items())

    for obj in session.new:
        if isinstance(obj, model) and matches(obj):
            return obj
    for key, obj in session.identity_map.items():  # type: ignore[attr-defined]
        if key[0] is model and obj not in session.deleted and matches(obj):
            return obj
    return None


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # Committed, a ticket is visible to everyone; rolled back, it never was.
    session.info.pop(KEY, None)
