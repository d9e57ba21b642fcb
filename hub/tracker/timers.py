"""Ticket timers: a plugin asks to be told when a moment comes (hook ``timer_fired``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.core.runtime import Runtime
from hub.models import Ticket, TicketTimer
from hub.tracker.correlate import insert_ignoring_conflict
from hub.tracker.fresh import add_row, drop_rows, held, is_fresh
from hub.tracker.held_writes import HeldTimer, held_writes
from hub.tracker.tickets import notify


def set_timer(session: Session, *, ticket_id: int, plugin: str, name: str, due_at: datetime,
              data: dict[str, Any] | None = None) -> None:
    """Set (or move) a timer; moving it re-arms it even if it had fired."""
    if is_fresh(session, ticket_id):  # only this transaction can have given it timers
        existing = held(session, TicketTimer, ticket_id=ticket_id, plugin=plugin, name=name)
        if existing is None:
            batch = held_writes(session)
            if batch is not None:  # the batch inserts it at its end
                row = HeldTimer(ticket_id=ticket_id, plugin=plugin, name=name, due_at=due_at, fired_at=None,
                                data=data or {})
                add_row(session, row, to_session=False, model=TicketTimer)
                batch.hold_timer(row)
            else:
                add_row(session, TicketTimer(ticket_id=ticket_id, plugin=plugin, name=name, due_at=due_at,
                                             fired_at=None, data=data or {}))
            return
    else:
        existing = session.scalar(select(TicketTimer).where(TicketTimer.ticket_id == ticket_id,
                                                            TicketTimer.plugin == plugin, TicketTimer.name == name))
    if existing is None:
        inserted = insert_ignoring_conflict(session, TicketTimer.__table__, {
            "ticket_id": ticket_id, "plugin": plugin, "name": name, "due_at": due_at, "fired_at": None,
            "data": data or {}}, ["ticket_id", "plugin", "name"])
        if inserted is not None:
            return
        existing = session.scalar(select(TicketTimer).where(TicketTimer.ticket_id == ticket_id,
                                                            TicketTimer.plugin == plugin, TicketTimer.name == name))
        assert existing is not None
    if existing.due_at != due_at or existing.fired_at is not None or (data is not None and existing.data != data):
        existing.due_at = due_at
        existing.fired_at = None
        if data is not None:
            existing.data = data


def cancel_timers(session: Session, *, ticket_id: int, plugin: str, names: list[str] | None = None) -> None:
    query = delete(TicketTimer).where(TicketTimer.ticket_id == ticket_id, TicketTimer.plugin == plugin)
    if names is not None:
        query = query.where(TicketTimer.name.in_(names))
    batch = held_writes(session)
    if batch is not None and is_fresh(session, ticket_id):
        batch.drop_timers(drop_rows(session, TicketTimer, ticket_id, lambda timer: timer.plugin != plugin or (
            names is not None and timer.name not in names)))
    session.execute(query)


def timers_of(session: Session, ticket_id: int, plugin: str | None = None) -> list[TicketTimer]:
    query = select(TicketTimer).where(TicketTimer.ticket_id == ticket_id)
    if plugin:
        query = query.where(TicketTimer.plugin == plugin)
    found = list(session.scalars(query.order_by(TicketTimer.due_at)))
    batch = held_writes(session)
    if batch is not None and is_fresh(session, ticket_id):  # not written yet: the batch writes them
        found += [TicketTimer(**vars(timer)) for timer in batch.timers
                  if timer.ticket_id == ticket_id and plugin in (None, timer.plugin)]
        found.sort(key=lambda timer: timer.due_at)
    return found


def fire_due_timers(runtime: Runtime, *, limit: int = 500) -> int:
    """Fire every timer whose moment has come, each in its own transaction, once."""
    with runtime.db.reading() as session:
        due = list(session.scalars(select(TicketTimer.id).where(
            TicketTimer.fired_at.is_(None), TicketTimer.due_at <= runtime.now()).order_by(TicketTimer.due_at)
            .limit(limit)))
    fired = 0
    for timer_id in due:
        with runtime.db.transaction() as session:
            query = select(TicketTimer).where(TicketTimer.id == timer_id, TicketTimer.fired_at.is_(None))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            timer = session.scalar(query)
            if timer is None or timer.due_at > runtime.now():
                continue  # fired by another worker, or moved
            timer.fired_at = runtime.now()
            ticket = session.get(Ticket, timer.ticket_id)
            if ticket is not None:
                notify(session, "timer_fired", ticket=ticket, plugin=timer.plugin, name=timer.name,
                       due_at=timer.due_at, data=dict(timer.data or {}))
            fired += 1
    return fired
