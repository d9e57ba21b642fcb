"""A draft's correlation window, and an event's own external_id next to a correlation key.

A key with a window ("30 minutes since the last sighting") matches its ticket only while
the ticket was last seen within the window; a repeat after that opens a new ticket, which
then holds the key. And when a correlation key is given, the event's own external_id does
not turn a repeat into a comment: the repeat is counted on the keyed ticket.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hub.hookspecs import hookimpl
from hub.ingest.batch import ingest_batch
from hub.ingest.pipeline import ingest
from hub.models import ConnectorInstance, CorrelationKey, InboundEvent, Ticket
from hub.plugins.instances import build_connector, create_instance
from hub.sdk import ListenerSource, RawEvent, TicketDraft
from tests.support.plugin_fixtures import post_event, token_instance

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class WindowedAlarms:
    """Reads {"key", "state", "window", "minutes", "id"} events as alarm drafts: ``window`` is passed
    through as given (seconds, or anything to refuse), ``minutes`` becomes a timedelta."""

    @hookimpl
    def normalize_event(self, event: Any) -> TicketDraft:
        payload = event.payload
        window = timedelta(minutes=payload["minutes"]) if "minutes" in payload else payload.get("window")
        return TicketDraft(action="open" if payload.get("state", "active") == "active" else "clear",
                           title=f"Alarm {payload.get('key') or payload.get('id')}",
                           correlation_key=payload.get("key"), correlation_window=window,
                           external_id=payload.get("id"), comment=payload.get("comment"))


@pytest.fixture
def feed(with_plugins: Any, request: Any) -> Any:
    with_plugins(WindowedAlarms())
    app, api, runtime = (request.getfixturevalue(name) for name in ("app", "api", "runtime"))
    secret = token_instance(api)
    clock = {"now": START}
    runtime.clock = lambda: clock["now"]
    sent: list[float] = []

    def send(at: float, **payload: Any) -> dict[str, Any]:
        """Post an event ``at`` minutes after START; returns the stored event's outcome."""
        clock["now"] = START + timedelta(minutes=at)
        sent.append(at)  # the webhook takes equal bodies for re-deliveries: make each one differ
        response = post_event(app, secret, {**payload, "seq": len(sent)})
        assert response.status_code in (200, 201, 202), response.json
        with runtime.db.Session() as session:
            event = session.scalars(select(InboundEvent).order_by(InboundEvent.id.desc()).limit(1)).one()
            ref = session.scalar(select(Ticket.ref).where(Ticket.id == event.ticket_id)) if event.ticket_id else None
            return {"status": event.status, "action": event.action, "ticket": ref, "reason": event.reason}

    send.runtime = runtime  # type: ignore[attr-defined]
    return send


def tickets(runtime: Any) -> list[tuple[str, str, int]]:
    with runtime.db.Session() as session:
        return [(t.ref, t.status, t.occurrence_count) for t in session.scalars(select(Ticket).order_by(Ticket.id))]


def test_a_repeat_within_the_window_counts_and_one_after_it_opens_a_new_ticket(feed: Any) -> None:
    first = feed(0, key="filler-2/E101", minutes=30)
    assert first["action"] == "created"
    # Each repeat is within 30 minutes of the one before: the window slides with the last sighting.
    assert feed(20, key="filler-2/E101", minutes=30)["action"] == "occurrence"
    assert feed(45, key="filler-2/E101", minutes=30)["action"] == "occurrence"
    later = feed(45 + 31, key="filler-2/E101", minutes=30)
    assert later["action"] == "created", later
    assert later["ticket"] != first["ticket"]
    assert "30 minutes" in later["reason"] and first["ticket"] in later["reason"]
    # The new ticket now holds the key; the old one stays open with its own count.
    again = feed(80, key="filler-2/E101", minutes=30)
    assert (again["action"], again["ticket"]) == ("occurrence", later["ticket"])
    assert tickets(feed.runtime) == [(first["ticket"], "new", 3), (later["ticket"], "new", 2)]
    with feed.runtime.db.Session() as session:
        held = session.scalars(select(CorrelationKey)).one()
        assert session.get(Ticket, held.ticket_id).ref == later["ticket"]


def test_a_window_in_seconds_counts_like_a_timedelta(feed: Any) -> None:
    assert feed(0, key="k", window=600)["action"] == "created"
    assert feed(9, key="k", window=600)["action"] == "occurrence"
    assert feed(9 + 10.5, key="k", window=600.0)["action"] == "created"


def test_without_a_window_a_repeat_counts_however_late(feed: Any) -> None:
    feed(0, key="k")
    assert feed(60 * 24 * 30, key="k")["action"] == "occurrence"


def test_a_window_also_decides_over_a_resolved_ticket_that_would_reopen(feed: Any) -> None:
    first = feed(0, key="k", window=1800)
    feed(5, key="k", state="cleared")
    assert tickets(feed.runtime)[0][1] == "resolved"
    late = feed(60, key="k", window=1800)
    assert late["action"] == "created" and late["ticket"] != first["ticket"]
    assert tickets(feed.runtime)[0][1] == "resolved"  # the old one is not reopened


@pytest.mark.parametrize("window", [-5, 0, "soon", True], ids=["negative", "zero", "text", "bool"])
def test_a_bad_window_quarantines_the_event_with_a_readable_reason(feed: Any, window: Any) -> None:
    outcome = feed(0, key="k", window=window)
    assert outcome["status"] == "quarantined"
    assert "correlation_window" in outcome["reason"]


def test_an_own_external_id_does_not_turn_a_keyed_repeat_into_a_comment(feed: Any) -> None:
    first = feed(0, key="filler-2/E101", id="E1")
    assert first["action"] == "created"
    repeat = feed(1, key="filler-2/E101", id="E1")
    assert (repeat["action"], repeat["ticket"]) == ("occurrence", first["ticket"])
    other = feed(2, key="filler-2/E101", id="E2")  # one external id per event: also a repeat
    assert (other["action"], other["ticket"]) == ("occurrence", first["ticket"])
    assert tickets(feed.runtime) == [(first["ticket"], "new", 3)]


def test_an_external_id_still_names_its_ticket_when_no_key_is_given(feed: Any) -> None:
    first = feed(0, id="E1")
    reply = feed(1, id="E1", comment="still broken")
    assert (reply["action"], reply["ticket"]) == ("commented", first["ticket"])


def test_an_external_id_with_a_key_and_a_passed_window_opens_a_new_ticket(feed: Any) -> None:
    first = feed(0, key="k", id="E1", window=600)
    late = feed(30, key="k", id="E1", window=600)
    assert late["action"] == "created" and late["ticket"] != first["ticket"]


class Bursts(ListenerSource):
    slug = "bursts"
    title = "Bursts (tests)"
    version = "1.0.0"
    description = "Reads {key} payloads as alarms with a ten-minute window."

    def normalize(self, event: Any) -> TicketDraft:
        return TicketDraft(title=f"Alarm {event.payload['key']}", correlation_key=event.payload["key"],
                           correlation_window=timedelta(minutes=10))


class BurstsPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [Bursts]


def test_a_batch_counts_in_bulk_only_within_the_window(with_plugins: Any, request: Any) -> None:
    with_plugins(BurstsPlugin())
    runtime = request.getfixturevalue("runtime")
    clock = {"now": START}
    runtime.clock = lambda: clock["now"]
    with runtime.db.transaction() as session:
        instance_id = create_instance(session=session, connector="bursts", slug="line", enabled=True).id

    def burst(minutes: float, name: str, size: int) -> list[Any]:
        clock["now"] = START + timedelta(minutes=minutes)
        raws = [RawEvent(idempotency_key=f"{name}-{n}", payload={"key": "jam"}) for n in range(size)]
        with runtime.db.transaction() as session:
            instance = session.get(ConnectorInstance, instance_id)
            return ingest_batch(session=session, instance=instance, connector=build_connector(session, instance),
                                raws=raws)

    assert [r.action for r in burst(0, "a", 3)] == ["created", "occurrence", "occurrence"]
    assert [r.action for r in burst(5, "b", 2)] == ["occurrence", "occurrence"]
    late = burst(20, "c", 3)
    assert [r.action for r in late] == ["created", "occurrence", "occurrence"]
    assert [(status, count) for _, status, count in tickets(runtime)] == [("new", 5), ("new", 3)]


class WindowAlarms(ListenerSource):
    slug = "walarms"
    title = "Windowed alarms (tests)"
    version = "1.0.0"
    description = "Reads {key, state, reopen, window} payloads."

    def normalize(self, event: Any) -> TicketDraft:
        payload = event.payload
        return TicketDraft(action="open" if payload["state"] == "active" else "clear", title=f"Alarm {payload['key']}",
                           correlation_key=payload["key"], reopen_on_repeat=payload["reopen"],
                           correlation_window=payload["window"])


class WindowAlarmsPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [WindowAlarms]


bursts = st.lists(st.tuples(
    st.sampled_from([0, 3, 8, 25]),  # minutes since the burst before
    st.lists(st.fixed_dictionaries({"key": st.sampled_from(["a", "b"]),
                                    "state": st.sampled_from(["active", "active", "active", "cleared"]),
                                    "reopen": st.booleans(), "window": st.sampled_from([None, 300, 600])}),
             min_size=1, max_size=12)), min_size=1, max_size=5)
RUNS = itertools.count()


def _run(runtime: Any, clock: dict[str, datetime], slug: str, plan: list[tuple[int, list[dict[str, Any]]]],
         batched: bool) -> tuple[list[Any], list[Any]]:
    with runtime.db.transaction() as session:
        instance_id = create_instance(session=session, connector="walarms", slug=slug, enabled=True).id
    clock["now"], sequence = START, 0
    for gap, payloads in plan:
        clock["now"] += timedelta(minutes=gap)
        raws = []
        for payload in payloads:
            sequence += 1
            raws.append(RawEvent(idempotency_key=f"e{sequence}", payload=payload))
        with runtime.db.transaction() as session:
            instance = session.get(ConnectorInstance, instance_id)
            connector = build_connector(session, instance)
            if batched:
                ingest_batch(session=session, instance=instance, connector=connector, raws=raws)
            else:
                for raw in raws:
                    ingest(session=session, instance=instance, connector=connector, raw=raw)
    with runtime.db.Session() as session:
        made = list(session.scalars(select(Ticket).where(Ticket.source_instance_id == instance_id)
                                    .order_by(Ticket.id)))
        alias = {ticket.ref: f"#{n}" for n, ticket in enumerate(made)}
        tickets = [(alias[t.ref], t.status, t.occurrence_count) for t in made]
        events = []
        for event in session.scalars(select(InboundEvent).where(InboundEvent.instance_id == instance_id)
                                     .order_by(InboundEvent.id)):
            reason = event.reason or ""
            for ref, name in alias.items():
                reason = reason.replace(ref, name)
            events.append((event.idempotency_key, event.status, event.action, reason))
    return tickets, events


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(plan=bursts)
def test_batched_equals_one_by_one_with_windows(with_plugins: Any, request: Any,
                                                plan: list[tuple[int, list[dict[str, Any]]]]) -> None:
    runtime, clock = _window_runtime(with_plugins, request)
    run = next(RUNS)
    assert _run(runtime, clock, f"wb-{run}", plan, batched=True) == _run(runtime, clock, f"ws-{run}", plan,
                                                                          batched=False)


_WINDOW_RUNTIMES: dict[int, tuple[Any, dict[str, datetime]]] = {}


def _window_runtime(with_plugins: Any, request: Any) -> tuple[Any, dict[str, datetime]]:
    """One app for all examples (each example uses instances of its own), on a test clock."""
    key = id(request.node)
    if key not in _WINDOW_RUNTIMES:
        _WINDOW_RUNTIMES.clear()
        with_plugins(WindowAlarmsPlugin())
        runtime = request.getfixturevalue("runtime")
        clock = {"now": START}
        runtime.clock = lambda: clock["now"]
        _WINDOW_RUNTIMES[key] = runtime, clock
    return _WINDOW_RUNTIMES[key]
