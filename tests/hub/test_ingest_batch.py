"""Bulk ingest of a burst gives exactly what one-by-one ingest gives."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hub.hookspecs import hookimpl
from hub.ingest.batch import ingest_batch
from hub.ingest.pipeline import ingest
from hub.models import ConnectorInstance, InboundEvent, Ticket
from hub.plugins.instances import build_connector, create_instance
from hub.sdk import ListenerSource, RawEvent, SkippableError, TicketDraft


class Alarms(ListenerSource):
    slug = "alarms"
    title = "Alarms (tests)"
    version = "1.0.0"
    description = "Reads {key, state} payloads."

    def normalize(self, event: Any) -> TicketDraft:
        payload = event.payload or {}
        if "key" not in payload:
            raise SkippableError("no key")
        action = "open" if payload["state"] == "active" else "clear"
        return TicketDraft(action=action, title=f"Alarm {payload['key']}", correlation_key=payload["key"],
                           reopen_on_repeat=payload.get("reopen", True))


class AlarmsPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [Alarms]


events = st.lists(st.one_of(
    st.fixed_dictionaries({"key": st.sampled_from(["a", "b", "c"]), "state": st.sampled_from(
        ["active", "active", "active", "cleared"]), "reopen": st.booleans()}),
    st.just({"broken": True}),
), min_size=1, max_size=40)

COUNTER = itertools.count()


def _ingest(runtime: Any, slug: str, batches: list[list[dict[str, Any]]], batched: bool) -> tuple[list, list]:
    with runtime.db.transaction() as session:
        instance_id = create_instance(session=session, connector="alarms", slug=slug, enabled=True).id
    sequence = 0
    for batch in batches:
        raws = []
        for payload in batch:
            sequence += 1
            raws.append(RawEvent(idempotency_key=f"m{sequence % 37}", payload=payload))  # some keys repeat
        with runtime.db.transaction() as session:
            instance = session.get(ConnectorInstance, instance_id)
            connector = build_connector(session, instance)
            if batched:
                ingest_batch(session=session, instance=instance, connector=connector, raws=raws)
            else:
                for raw in raws:
                    ingest(session=session, instance=instance, connector=connector, raw=raw)
    with runtime.db.Session() as session:
        tickets = [(t.title, t.status, t.occurrence_count, t.correlation_key.split(":", 1)[1]) for t in session.scalars(
            select(Ticket).where(Ticket.source_instance_id == instance_id).order_by(Ticket.id))]
        refs = {ticket.ref: f"#{n}" for n, ticket in enumerate(session.scalars(
            select(Ticket).where(Ticket.source_instance_id == instance_id).order_by(Ticket.id)))}
        stored = []
        for event in session.scalars(select(InboundEvent).where(InboundEvent.instance_id == instance_id)
                                     .order_by(InboundEvent.id)):
            reason = event.reason or ""
            for ref, alias in refs.items():
                reason = reason.replace(ref, alias)  # the two runs number their tickets differently
            stored.append((event.idempotency_key, event.status, event.action, reason))
    return tickets, stored


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(payloads=events, cut=st.integers(min_value=1, max_value=15))
def test_batched_equals_one_by_one(with_plugins: Any, request: Any, payloads: list[dict[str, Any]],
                                   cut: int) -> None:
    runtime = _runtime(with_plugins, request)
    batches = [payloads[start:start + cut] for start in range(0, len(payloads), cut)]
    run = next(COUNTER)
    one_by_one = _ingest(runtime, f"seq-{run}", batches, batched=False)
    batched = _ingest(runtime, f"bat-{run}", batches, batched=True)
    assert batched == one_by_one


_RUNTIMES: dict[int, Any] = {}


def _runtime(with_plugins: Any, request: Any) -> Any:
    """One app for all examples (each example uses instances of its own)."""
    key = id(request.node)
    if key not in _RUNTIMES:
        _RUNTIMES.clear()
        with_plugins(AlarmsPlugin())
        _RUNTIMES[key] = request.getfixturevalue("runtime")
    return _RUNTIMES[key]
