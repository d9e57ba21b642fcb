"""Ticket numbers: INC-000042, CHG-000007 and PRB-000003 count up per kind, without a gap or a repeat."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from hub.models import TicketCounter


def numbered_as_written(session: Session) -> bool:
    """Whether the database numbers a ticket as it writes it (PostgreSQL: a trigger fills the
    number and reference from the kind's sequence, migration 0027; the INSERT returns them)."""
    return session.get_bind().dialect.name == "postgresql"


def next_number(session: Session, kind: str) -> int:
    """Allocate the next ticket number of a kind (a sequence on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text(f"SELECT nextval('{kind}_number_seq')")).scalar_one())
    return int(
        session.execute(
            update(TicketCounter)
            .where(TicketCounter.kind == kind)
            .values(value=TicketCounter.value + 1)
            .returning(TicketCounter.value)
        ).scalar_one()
    )
