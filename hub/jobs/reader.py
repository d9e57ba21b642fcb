"""Reading events that were stored and acknowledged first (a webhook that defers reading).

The request stores its events, commits, and wakes the instance's reader; the reader
applies every stored-but-unread event of that instance in order, a batch per transaction.

Waking costs one Redis round trip: ``SET dirty 1 GET``. Only the request that finds the
flag unset enqueues a reader (a new job id each time, so a reader that is finishing never
swallows the wake-up). A reader clears the flag before each pass and passes again while it
finds the flag set, so an event committed while it works is read by it or by the next
reader. If Redis is away, the maintenance job that reads stuck events picks them up.

Order on PostgreSQL: a batch of events that each open a new ticket (hub.ingest.read_together)
depends on no other event, so readers take such batches side by side: each holds the
instance's advisory lock *shared* and claims its batch with ``FOR UPDATE SKIP LOCKED``. A
batch holding anything else (a repeat, a clear, a comment, a correlation key) is rolled back
and read under the lock held *exclusively*, once every batch before it is committed, event by
event in the order they arrived; the instance's next batches are read that way until one is
all new tickets again. New tickets of batches read side by side may be numbered out of
arrival order; nothing else is. A reader that finds a full batch of new tickets calls one
helper (a second job) while the backlog lasts.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, func, select

from hub.core.runtime import Runtime

log = logging.getLogger("hub.jobs.reader")

#: Events applied per transaction.
BATCH = 200
#: A wake-up flag outlives a lost reader by at most this long.
FLAG_SECONDS = 60
#: Instances (in this process) whose last batch needed order: read under the exclusive lock.
_ORDERED: set[int] = set()


class _NeedsOrder(Exception):
    """A batch claimed beside other readers holds more than new tickets (rolled back)."""


def _flag(runtime: Runtime, instance_id: int) -> str:
    return f"{runtime.settings['QUEUE_PREFIX']}:read-dirty:{instance_id}"


def wake_reader(runtime: Runtime, instance_id: int) -> None:
    """Make sure a reader will read what this request stored (called after the commit)."""

    def wake() -> None:
        if runtime.redis.set(_flag(runtime, instance_id), 1, ex=FLAG_SECONDS, get=True) is not None:
            return  # a reader is queued or running and will see the flag
        _enqueue_reader(runtime, instance_id)

    runtime._breaker.call(wake)


def _enqueue_reader(runtime: Runtime, instance_id: int) -> None:
    from hub.jobs.queues import get_queue, job_id

    generation = runtime.redis.incr(f"{runtime.settings['QUEUE_PREFIX']}:read-generation:{instance_id}")
    get_queue(runtime, "ingest").enqueue(
        read_pending, args=(instance_id,), job_id=job_id(runtime, "read", instance_id, generation),
        job_timeout=3600, result_ttl=60, failure_ttl=7 * 86400)


def read_pending(instance_id: int) -> dict[str, int]:
    """Apply every stored, unread event of one instance, oldest first."""
    from hub.jobs.tasks import current_runtime

    runtime = current_runtime()
    counts: dict[str, int] = {}
    flag = _flag(runtime, instance_id)
    while True:
        runtime.redis.delete(flag)
        read_batches(runtime, instance_id, counts)
        if not runtime.redis.exists(flag):
            return counts


def read_batches(runtime: Runtime, instance_id: int, counts: dict[str, int]) -> None:
    """Apply batches of the instance's unread events until none is left (adds to ``counts``)."""
    helped = runtime.db.engine.dialect.name != "postgresql"  # SQLite writes one transaction at a time
    while read := _read_batch(runtime, instance_id, counts):
        if read == BATCH and not helped and instance_id not in _ORDERED:
            helped = True
            _call_helper(runtime, instance_id)


def _call_helper(runtime: Runtime, instance_id: int) -> None:
    """A backlog of new tickets: one more reader, unless one was called in the last minute."""

    def call() -> None:
        if runtime.redis.set(f"{runtime.settings['QUEUE_PREFIX']}:read-helper:{instance_id}", 1,
                             ex=FLAG_SECONDS, nx=True):
            _enqueue_reader(runtime, instance_id)

    runtime._breaker.call(call)


def unread_query(instance_id: int) -> Select[int]:
    """The next batch of an instance's unread events, oldest first (index ix_inbound_events_unread)."""
    from hub.models import InboundEvent

    return (select(InboundEvent.id).where(InboundEvent.instance_id == instance_id, InboundEvent.status == "received")
            .order_by(InboundEvent.id).limit(BATCH))


def _read_batch(runtime: Runtime, instance_id: int, counts: dict[str, int]) -> int:
    """Apply the next batch: together if each event opens a plain new ticket
    (hub.ingest.read_together), else, or if that fails, event by event."""
    from hub.ingest.pipeline import RedoCarefully

    try:
        if instance_id not in _ORDERED:
            return _apply_batch(runtime, instance_id, counts, beside_others=True)
        return _apply_batch(runtime, instance_id, counts, beside_others=False)
    except _NeedsOrder:
        _ORDERED.add(instance_id)
        return _apply_batch(runtime, instance_id, counts, beside_others=False)
    except RedoCarefully as exc:
        log.info("instance %s: a batch read one event at a time (%s)", instance_id, exc.__cause__)
        return _apply_batch(runtime, instance_id, counts, beside_others=False, together=False)


def _apply_batch(runtime: Runtime, instance_id: int, counts: dict[str, int], *, beside_others: bool,
                 together: bool = True) -> int:
    from hub.ingest.pipeline import process_event
    from hub.ingest.read_together import read_together
    from hub.models import ConnectorInstance
    from hub.plugins.instances import build_connector

    statuses: list[str] = []
    with runtime.db.transaction() as session:
        query = unread_query(instance_id)
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres and beside_others:
            session.execute(select(func.pg_advisory_xact_lock_shared(0x48554200 + instance_id)))
            query = query.with_for_update(skip_locked=True)
        elif postgres:
            # One reader of the instance at a time: arrival order is application order.
            session.execute(select(func.pg_advisory_xact_lock(0x48554200 + instance_id)))
        ids = list(session.scalars(query))
        if not ids:
            return 0
        instance = session.get(ConnectorInstance, instance_id)
        if instance is None:
            return 0
        connector: Any = build_connector(session, instance)
        try:
            results = read_together(session, instance, connector, ids) if together else None
            if results is None and postgres and beside_others:
                raise _NeedsOrder()
            if results is None:
                results = [process_event(session=session, event_id=event_id, instance=instance, connector=connector)
                           for event_id in ids]
            elif not beside_others:
                _ORDERED.discard(instance_id)  # new tickets again: the next batch may go beside others
            statuses = [result.status for result in results]
        finally:
            connector.close()
    for status in statuses:  # counted once the batch is committed
        counts[status] = counts.get(status, 0) + 1
    return len(ids)
