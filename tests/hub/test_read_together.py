"""A reader applies a batch of stored events that each open a ticket together
(hub.ingest.read_together): one statement per table for the batch, the same tickets as
reading them one by one, and every case it does not cover read one by one, exactly."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from hub.hookspecs import hookimpl
from hub.ingest.event_store import store_events
from hub.sdk.values import RawEvent

TOKEN = "reader-token-0123456789abcdef"
#: Statements for a whole batch of new tickets on PostgreSQL, with the fresh install's
#: plugins, whatever its size: the lock, the unread ids, the events, the tickets, their
#: audit entries, plugin data, timers, links and outcomes (per event it was nine).
BATCH_STATEMENTS = 12


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["LOAD_ENTRYPOINTS"] = True  # the fresh install's plugins: SLA, routing, notify, insights...
    app_config["PLUGIN_REFRESH_SECONDS"] = 60
    return app_config


def make_instance(app: Flask, slug: str, **config: Any) -> int:
    from hub.plugins.instances import create_instance

    with app.extensions["hub"].db.transaction() as session:
        instance = create_instance(session=session, connector="webhook", slug=slug, enabled=True, config={
            "auth": "token", "secret": TOKEN, "idempotency_field": "id", "respond": "accepted", **config})
        return int(instance.id)


def store(app: Flask, instance_id: int, bodies: list[dict[str, Any]]) -> None:
    with app.extensions["hub"].db.transaction() as session:
        store_events(session, instance_id, [RawEvent(idempotency_key=body["id"], payload=body) for body in bodies])


def read(app: Flask, instance_id: int) -> dict[str, int]:
    from hub.jobs.reader import read_batches

    counts: dict[str, int] = {}
    read_batches(app.extensions["hub"], instance_id, counts)
    return counts


def events_of(app: Flask, instance_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    from hub.models import InboundEvent, Ticket

    with app.extensions["hub"].db.transaction() as session:
        rows = session.execute(select(InboundEvent.idempotency_key, InboundEvent.status, InboundEvent.action,
                                      Ticket.title).outerjoin(Ticket, Ticket.id == InboundEvent.ticket_id)
                               .where(InboundEvent.instance_id == instance_id).order_by(InboundEvent.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def bodies(run: str, count: int, *, requesters: bool = True) -> list[dict[str, Any]]:
    """Events of ``count`` new tickets; every third from a person (an acknowledgement each)."""
    return [{"id": f"{run}-{n}", "title": f"Leak {run} {n}", "impact": "high" if n % 2 else "low",
             "requester": {"email": f"person{n}@example.com"} if requesters and n % 3 == 0 else {}}
            for n in range(count)]


@pytest.mark.usefixtures("kept_caches")
def test_a_batch_of_new_tickets_costs_a_few_statements(app: Flask) -> None:
    feed = make_instance(app, "feed")
    store(app, feed, bodies("warm", 2, requesters=False))
    read(app, feed)  # caches: settings, the instance, plugin state
    # From machines, as the bench's: a person's acknowledgement is a mail of its own, with
    # its link and rate limit (plugins/notify), a few statements each.
    store(app, feed, bodies("batch", 60, requesters=False))
    seen: list[str] = []
    engine = app.extensions["hub"].db.engine

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:4]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert read(app, feed) == {"applied": 60}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not [line for line in seen if line.startswith("SAVEPOINT")], seen
    if engine.dialect.name != "postgresql":
        return  # SQLite numbers and inserts each ticket alone (its INSERT ... RETURNING keeps no order in bulk)
    for table in ("tickets", "audit_events", "ticket_plugin_data", "ticket_timers", "external_links"):
        assert sum(line.startswith(f"INSERT INTO {table} ") for line in seen) == 1, (table, "\n".join(seen))
    assert sum(line.startswith("UPDATE inbound_events") for line in seen) == 1, seen
    assert len(seen) <= BATCH_STATEMENTS, "\n".join(seen)


def test_the_tickets_are_those_reading_one_by_one_makes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.models import AuditEvent, ExternalLink, Ticket, TicketPluginData, TicketTimer

    together, alone = make_instance(app, "together"), make_instance(app, "alone")
    store(app, together, bodies("same", 12))
    store(app, alone, bodies("same", 12))
    assert read(app, together) == {"applied": 12}
    monkeypatch.setattr("hub.ingest.read_together.read_together", lambda *args: None)
    assert read(app, alone) == {"applied": 12}

    def made(instance_id: int) -> list[tuple[Any, ...]]:
        with app.extensions["hub"].db.transaction() as session:
            tickets = session.scalars(select(Ticket).where(Ticket.source_instance_id == instance_id)
                                      .order_by(Ticket.number)).all()
            out = []
            for ticket in tickets:
                timers = session.execute(select(TicketTimer.plugin, TicketTimer.name, TicketTimer.due_at).where(
                    TicketTimer.ticket_id == ticket.id).order_by(TicketTimer.name)).all()
                data = session.execute(select(TicketPluginData.plugin, TicketPluginData.data).where(
                    TicketPluginData.ticket_id == ticket.id).order_by(TicketPluginData.plugin)).all()
                audit = session.execute(select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.note).where(
                    AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id)).all()
                links = session.scalars(select(ExternalLink.external_id).where(
                    ExternalLink.ticket_id == ticket.id)).all()
                out.append((ticket.title, ticket.status, ticket.priority, ticket.requester_email, ticket.customer_id
                            is not None, ticket.tags, ticket.language, ticket.response_due_at is not None,
                            ticket.resolve_due_at is not None, ticket.group_id, [t[:2] for t in timers],
                            [(plugin, sorted(values)) for plugin, values in data], list(audit), list(links)))
            return out

    mine, theirs = made(together), made(alone)
    assert len(mine) == 12 and mine == theirs
    assert [row[0] for row in mine] == [f"Leak same {n}" for n in range(12)], "numbered in arrival order"
    assert [entry[:2] for entry in events_of(app, together)] == [entry[:2] for entry in events_of(app, alone)]


def test_a_keyed_batch_is_read_one_by_one(app: Flask) -> None:
    feed = make_instance(app, "keyed", dedup_key="{title}")
    store(app, feed, [{"id": f"k-{n}", "title": "Filler jammed" if n % 2 else "Capper torque"} for n in range(6)])
    assert read(app, feed) == {"applied": 6}
    assert [entry[2] for entry in events_of(app, feed)] == ["created", "created"] + ["occurrence"] * 4


def test_a_record_linked_already_sends_the_batch_one_by_one(app: Flask) -> None:
    feed = make_instance(app, "records", mapping={"title": "title", "external_id": "record"})
    store(app, feed, [{"id": "r-1", "title": "Pump 1 noisy", "record": "PUMP-1"}])
    read(app, feed)
    # A new delivery about the same record, beside new ones: a comment on the first ticket.
    store(app, feed, [{"id": "r-2", "title": "Pump 2 noisy", "record": "PUMP-2"},
                      {"id": "r-3", "title": "Pump 1 still noisy", "record": "PUMP-1"},
                      {"id": "r-4", "title": "Pump 3 noisy", "record": "PUMP-3"}])
    assert read(app, feed) == {"applied": 3}
    assert [(key, action, title) for key, _, action, title in events_of(app, feed)] == [
        ("r-1", "created", "Pump 1 noisy"), ("r-2", "created", "Pump 2 noisy"),
        ("r-3", "commented", "Pump 1 noisy"), ("r-4", "created", "Pump 3 noisy")]


class Refuser:
    name = "refuser"

    @hookimpl
    def before_ticket_create(self, draft: Any, instance: Any) -> str | None:
        return "no pumps today" if "Pump" in draft.title else None


class Breaker:
    name = "breaker"

    @hookimpl
    def ticket_created(self, ticket: Any, session: Any) -> None:
        if "Boiler" in ticket.title:
            raise RuntimeError("breaker broke")


@pytest.mark.parametrize("plugin", [Refuser(), Breaker()], ids=["a veto", "a failing hook"])
def test_a_veto_or_a_failing_hook_sends_the_batch_one_by_one(app_config: dict[str, Any], plugin: Any) -> None:
    from hub import create_app
    from hub.models import Ticket

    app_config["PLUGINS"] = [(plugin.name, plugin)]
    app = create_app(app_config)
    try:
        feed = make_instance(app, "mixed")
        store(app, feed, [{"id": "m-1", "title": "Boiler 1 down"}, {"id": "m-2", "title": "Pump 2 down"},
                          {"id": "m-3", "title": "Boiler 3 down"}])
        assert read(app, feed) == ({"applied": 2, "ignored": 1} if plugin.name == "refuser" else {"applied": 3})
        actions = [action for _, _, action, _ in events_of(app, feed)]
        failures = app.extensions["hub"].plugins.failures.counts.get("breaker", 0)
        if plugin.name == "refuser":
            assert actions == ["created", "vetoed", "created"]
        else:
            assert actions == ["created"] * 3
            assert failures == 2, "each failure counted once, not again for the batch that was redone"
        with app.extensions["hub"].db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == actions.count("created")
    finally:
        app.extensions["hub"].db.dispose()


def test_an_event_the_connector_cannot_read_is_quarantined_alone(app: Flask) -> None:
    feed = make_instance(app, "broken")
    store(app, feed, [{"id": "q-1", "title": "Fan 1 loud"}, {"id": "q-2", "title": ""},
                      {"id": "q-3", "title": "Fan 3 loud"}])
    assert read(app, feed) == {"applied": 2, "quarantined": 1}
    assert [status for _, status, _, _ in events_of(app, feed)] == ["applied", "quarantined", "applied"]


def test_two_readers_side_by_side_keep_what_depends_on_order(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of new tickets are read beside each other (PostgreSQL: a shared lock, SKIP
    LOCKED); a later delivery about a record one of them opens waits for it."""
    import threading

    from hub.jobs import reader

    monkeypatch.setattr(reader, "BATCH", 20)
    monkeypatch.setattr(reader, "_call_helper", lambda *args: None)  # the second reader is started here
    feed = make_instance(app, "side", mapping={"title": "title", "external_id": "record"})
    first = [{"id": f"s-{n}", "title": f"Valve {n} stuck", "record": f"V-{n}"} for n in range(150)]
    # Again about records of the first deliveries: comments on their tickets, whichever batch.
    again = [{"id": f"t-{n}", "title": f"Valve {n} still stuck", "record": f"V-{n}"} for n in range(0, 150, 15)]
    store(app, feed, first + again + [{"id": f"u-{n}", "title": f"Vent {n} loud", "record": f"W-{n}"}
                                      for n in range(40)])
    counts: list[dict[str, int]] = [{}, {}]
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            reader.read_batches(app.extensions["hub"], feed, counts[number])
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert counts[0].get("applied", 0) + counts[1].get("applied", 0) == 200, counts
    outcomes = {key: (action, title) for key, _, action, title in events_of(app, feed)}
    assert all(outcomes[f"s-{n}"] == ("created", f"Valve {n} stuck") for n in range(150))
    assert all(outcomes[f"t-{n}"] == ("commented", f"Valve {n} stuck") for n in range(0, 150, 15)), outcomes
    assert all(outcomes[f"u-{n}"] == ("created", f"Vent {n} loud") for n in range(40))


def test_a_full_batch_of_new_tickets_calls_one_helper(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.jobs import reader

    monkeypatch.setattr(reader, "BATCH", 5)
    called: list[int] = []
    monkeypatch.setattr(reader, "_enqueue_reader", lambda runtime, instance_id: called.append(instance_id))
    plain = make_instance(app, "plain")
    store(app, plain, bodies("help", 12, requesters=False))
    assert read(app, plain) == {"applied": 12}
    if app.extensions["hub"].db.engine.dialect.name != "postgresql":
        assert called == [], "SQLite writes one transaction at a time: a helper would wait"
        return
    assert called == [plain], "one helper for the backlog"
    read(app, plain)
    assert called == [plain], "nothing left to help with"
    keyed = make_instance(app, "keyed-help", dedup_key="{title}")
    store(app, keyed, [{"id": f"h-{n}", "title": "Same alarm"} for n in range(12)])
    assert read(app, keyed) == {"applied": 12}
    assert called == [plain], "repeats are read in order by one reader: no helper"


def test_a_batch_s_long_statements_are_read_once_by_psycopg(app: Flask) -> None:
    from hub.core.statement_cache import cache_info

    if app.extensions["hub"].db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's reading of statements: PostgreSQL only")
    feed = make_instance(app, "cached")
    store(app, feed, bodies("first", 40, requesters=False))
    read(app, feed)
    before = cache_info()
    store(app, feed, bodies("second", 40, requesters=False))
    read(app, feed)
    after = cache_info()
    # The multi-row INSERTs (the tickets, the links; an executemany's rows are short and
    # psycopg caches them itself): read in the first batch, found in the second.
    assert after.hits - before.hits >= 2 and after.misses == before.misses, (before, after)


class TimerWatcher:
    """Sets, moves and cancels timers of a new ticket, and reads them, in ticket_created."""

    name = "timer-watcher"

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    @hookimpl
    def ticket_created(self, ticket: Any, session: Any) -> None:
        from hub.sdk import tracker as services
        from hub.tracker.timers import timers_of

        for name in ("a", "b", "c"):
            services.set_timer(session, ticket.ref, plugin=self.name, name=name, due_at=ticket.created_at)
        services.set_timer(session, ticket.ref, plugin=self.name, name="a", due_at=ticket.created_at,
                           data={"moved": True})
        services.cancel_timers(session, ticket.ref, plugin=self.name, names=["b"])
        self.seen.append(sorted(timer.name for timer in timers_of(session, ticket.id, self.name)))


def test_timers_held_by_a_batch_read_as_written(app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from hub import create_app
    from hub.ingest import read_together
    from hub.models import TicketTimer

    held: list[int] = []
    write_held = read_together.write_held
    monkeypatch.setattr(read_together, "write_held", lambda session, writes: (
        held.append(len(writes.timers)), write_held(session, writes))[-1])
    watcher = TimerWatcher()
    app_config["PLUGINS"] = [(watcher.name, watcher)]
    app = create_app(app_config)
    try:
        feed = make_instance(app, "timed")
        store(app, feed, bodies("timed", 5, requesters=False))
        assert read(app, feed) == {"applied": 5}
        assert held and held[0] >= 10, "the batch held the timers (the SLA's and these)"
        assert watcher.seen == [["a", "c"]] * 5
        with app.extensions["hub"].db.transaction() as session:
            rows = session.execute(select(TicketTimer.name, TicketTimer.data).where(
                TicketTimer.plugin == watcher.name).order_by(TicketTimer.ticket_id, TicketTimer.name)).all()
        assert [tuple(row) for row in rows] == [("a", {"moved": True}), ("c", {})] * 5
    finally:
        app.extensions["hub"].db.dispose()
