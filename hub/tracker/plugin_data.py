"""Per-ticket data a plugin keeps (its SLA clock, the rule that routed the ticket)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import TicketPluginData
from hub.tracker.fresh import add_row, held, is_fresh
from hub.tracker.held_writes import HeldPluginData, held_writes


def _row(session: Session, ticket_id: int, plugin: str) -> TicketPluginData | HeldPluginData | None:
    if is_fresh(session, ticket_id):  # a ticket of this transaction: its data is here or nowhere
        found: TicketPluginData | HeldPluginData | None = held(session, TicketPluginData, ticket_id=ticket_id,
                                                               plugin=plugin)
        return found
    return session.get(TicketPluginData, (ticket_id, plugin))


def get_data(session: Session, ticket_id: int, plugin: str) -> dict[str, Any]:
    row = _row(session, ticket_id, plugin)
    return dict(row.data) if row is not None else {}


def set_data(session: Session, ticket_id: int, plugin: str, data: dict[str, Any]) -> None:
    row = _row(session, ticket_id, plugin)
    now = runtime_of(session).now()
    batch = held_writes(session)
    if row is None:
        if batch is not None and is_fresh(session, ticket_id):  # the batch inserts it at its end
            plain = HeldPluginData(ticket_id=ticket_id, plugin=plugin, data=dict(data), updated_at=now)
            add_row(session, plain, to_session=False, model=TicketPluginData)
            batch.hold_plugin_data(plain)
        else:
            new = TicketPluginData(ticket_id=ticket_id, plugin=plugin, data=dict(data), updated_at=now)
            if is_fresh(session, ticket_id):
                add_row(session, new)
            else:
                session.add(new)
    else:
        row.data = dict(data)
        row.updated_at = now
    if batch is None:  # a batch writes every ticket's data in one INSERT at its end
        session.flush()


def data_for_tickets(session: Session, ticket_ids: list[int], plugin: str) -> dict[int, dict[str, Any]]:
    rows = session.scalars(select(TicketPluginData).where(TicketPluginData.ticket_id.in_(ticket_ids),
                                                          TicketPluginData.plugin == plugin))
    return {row.ticket_id: dict(row.data) for row in rows}
