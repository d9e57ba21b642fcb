"""Writes held back until the end of a batch, so each table gets one statement for all of it.

A reader applying a batch of stored events that open tickets (hub.ingest.read_together)
holds writes while it finishes the tickets: audit entries, external links and the new
tickets' timers and plugin data are collected instead of inserted one by one (as plain rows
that never enter the session: its unit of work cost more than their INSERT), and the
lifecycle hooks' snapshot of a ticket with nothing pending needs no flush.
:func:`write_held` then flushes the session (the ORM writes each table's new rows in one
INSERT) and inserts what was collected; the batch's tickets are no longer fresh after it
(hub.tracker.fresh): their rows are read from the database like any ticket's.

What reads in the meantime does not see the held rows: the audit is never read back by the
transaction that writes it, a fresh ticket's plugin data and timers are found without a
query (hub.tracker.fresh), and a link is checked as it is written (a record linked already
fails the batch, which the reader then reads event by event). Hence no autoflush while
writes are held: a query between two tickets would write the rows held so far.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

KEY = "hub.held_writes"


class LinkedBefore(Exception):
    """A record linked as new was linked already: the batch's guess did not hold."""


@dataclass
class HeldTimer:
    """A new timer of a fresh ticket, held by a batch: the columns, without the ORM's
    instrumentation (building thousands of TicketTimer objects was a tenth of a batch)."""

    ticket_id: int
    plugin: str
    name: str
    due_at: Any
    fired_at: Any
    data: dict[str, Any]


@dataclass
class HeldPluginData:
    """A plugin's new data for a fresh ticket, held by a batch as a plain row (as HeldTimer)."""

    ticket_id: int
    plugin: str
    data: dict[str, Any]
    updated_at: Any


@dataclass
class HeldWrites:
    audit: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    timers: list[HeldTimer] = field(default_factory=list)
    """New timers of fresh tickets: never in the session (no unit of work)."""
    plugin_data: list[HeldPluginData] = field(default_factory=list)
    row_ids: set[int] = field(default_factory=set)
    """The held rows (timers and plugin data) by identity, for hub.tracker.fresh to find."""

    def hold_timer(self, timer: HeldTimer) -> None:
        self.timers.append(timer)
        self.row_ids.add(id(timer))

    def hold_plugin_data(self, row: HeldPluginData) -> None:
        self.plugin_data.append(row)
        self.row_ids.add(id(row))

    def drop_timers(self, dropped: list[Any]) -> None:
        gone = {id(timer) for timer in dropped}
        self.timers = [timer for timer in self.timers if id(timer) not in gone]
        self.row_ids -= gone


def held_writes(session: Session) -> HeldWrites | None:
    """The writes being held in this session, if a batch holds them."""
    held: HeldWrites | None = session.info.get(KEY)
    return held


@contextmanager
def holding_writes(session: Session) -> Iterator[HeldWrites]:
    """Hold audit entries, links and plugin-data flushes until :func:`write_held`."""
    held = session.info[KEY] = HeldWrites()
    try:
        # A query between flushes would write the rows held so far (an INSERT per query):
        # the fresh tickets' own rows are found without one (hub.tracker.fresh).
        with session.no_autoflush:
            yield held
    finally:
        session.info.pop(KEY, None)


def write_held(session: Session, held: HeldWrites) -> None:
    """Flush the session and insert what was held: one statement per table. Raises
    :class:`LinkedBefore` if a record was linked already (nothing is held any more)."""
    from hub.models import ExternalLink, TicketPluginData, TicketTimer
    from hub.tracker.audit import insert_rows
    from hub.tracker.correlate import insert_many_ignoring_conflict
    from hub.tracker.fresh import forget_fresh

    session.flush()
    rows, held.audit = held.audit, []
    insert_rows(session, rows)
    timers, data, held.timers, held.plugin_data, held.row_ids = held.timers, held.plugin_data, [], [], set()
    if timers:
        session.execute(insert(TicketTimer.__table__), [  # type: ignore[arg-type]
            vars(timer) for timer in timers])
    if data:
        session.execute(insert(TicketPluginData.__table__), [  # type: ignore[arg-type]
            vars(row) for row in data])
    # Written: from here on their rows are in the database, to be read as any ticket's are.
    forget_fresh(session)
    links, held.links = held.links, []
    if links:
        inserted = insert_many_ignoring_conflict(session, ExternalLink.__table__, links, ["instance_id", "external_id"])
        if inserted != len(links):
            raise LinkedBefore(f"{len(links) - inserted} of {len(links)} records were linked already")
