"""Ticket numbers: INC-000042, CHG-000007 and PRB-000003 count up per kind, without a gap or a repeat."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.models import TicketCounter


def numbered_as_written(session: Session) -> bool:
    """Whether the database numbers a ticket as it writes it (PostgreSQL: a trigger fills the
    number and reference from the kind's sequence, migration 0027; the INSERT returns them)."""
    return session.get_bind().dialect.name == "postgresql"


def next_number(session: Session, kind: str) -> int:
    """Allocate the next ticket number of a kind where the database does not number tickets
    as it writes them (SQLite: the kind's row of ticket_counters)."""
    return int(
        session.execute(
            update(TicketCounter)
            .where(TicketCounter.kind == kind)
            .values(value=TicketCounter.value + 1)
            .returning(TicketCounter.value)
        ).scalar_one()
    )
