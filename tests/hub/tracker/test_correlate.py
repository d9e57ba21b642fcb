"""Counting repeats in bulk: many tickets in one statement, keys looked up in one query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.models import CorrelationKey, Ticket
from hub.sdk.actors import Actor
from hub.tracker import correlate
from hub.tracker.tickets import create_ticket


def make(session: Any, title: str, key: str | None = None) -> Ticket:
    ticket = create_ticket(session=session, kind="incident", values={"title": title}, actor=Actor.system())
    if key:
        session.add(CorrelationKey(key=key, ticket_id=ticket.id, reopen=False, created_at=datetime.now(UTC)))
    session.flush()
    return ticket


def test_count_occurrences_counts_each_ticket_in_one_statement(runtime: Any) -> None:
    seen = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    with runtime.db.transaction() as session:
        jam, leak, quiet = make(session, "Jam"), make(session, "Leak"), make(session, "Quiet")
        ids = jam.id, leak.id, quiet.id
        totals = correlate.count_occurrences(session, {jam.id: (3, None), leak.id: (2, seen)})
        assert totals == {jam.id: jam.occurrence_count, leak.id: leak.occurrence_count}  # expired, read back
        assert correlate.count_occurrences(session, {}) == {}
    with runtime.db.reading() as session:
        jam, leak, quiet = (session.get(Ticket, i) for i in ids)
        assert (jam.occurrence_count, leak.occurrence_count, quiet.occurrence_count) == (4, 3, 1)
        assert leak.last_seen_at.replace(tzinfo=UTC) == seen
        assert jam.version == leak.version > quiet.version


def test_peek_keys_finds_held_keys_only(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        jam = make(session, "Jam", key="1:plant/line3/filler/E101")
        make(session, "Leak", key="1:plant/line3/capper/T220")
        found = correlate.peek_keys(session, ["1:plant/line3/filler/E101", "1:nobody", "1:plant/line3/filler/E101"])
        assert list(found) == ["1:plant/line3/filler/E101"]
        assert found["1:plant/line3/filler/E101"].ticket.id == jam.id
        assert found["1:plant/line3/filler/E101"].via == "correlation"
