"""One poll of a connector instance: events stored in batches, cursors saved with them.

The instance's lease makes sure one instance never polls twice at once, on any number
of workers; the run's heartbeat (hub.jobs.runs) renews it while the polling process
lives, and lets the scheduler mark a run whose worker died ``abandoned``. Events before a
checkpoint commit in one transaction with the checkpoint's state, so a worker killed
mid-poll resumes at the last checkpoint and the events it fetches again are recognised
by their idempotency keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from hub.core.runtime import Runtime
from hub.ingest.pipeline import IngestResult, ingest
from hub.jobs.locks import Lease
from hub.jobs.runs import RunHeartbeat
from hub.models import ConnectorInstance, SyncRun
from hub.plugins.instances import build_connector, record_error
from hub.sdk.connector import Checkpoint, PollingSource, PollResult
from hub.sdk.errors import ConnectorError, RetriableError
from hub.sdk.values import RawEvent

log = logging.getLogger("hub.jobs.poll")

BATCH = 100
UPDATED_ACTIONS = frozenset({"occurrence", "updated", "commented", "transitioned", "reopened", "resolved", "noted"})


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    tickets: list[str] = field(default_factory=list)

    def add(self, result: IngestResult) -> None:
        if result.duplicate or result.status == "ignored":
            self.skipped += 1
        elif result.status == "quarantined":
            self.failed += 1
        elif result.action == "created":
            self.created += 1
        elif result.action in UPDATED_ACTIONS:
            self.updated += 1
        if result.ticket_ref and len(self.tickets) < 50:
            self.tickets.append(result.ticket_ref)


POLL_WAIT_LIMIT = 3600.0
"""The longest a remote's Retry-After holds back an instance's scheduled polls."""


def lock_key(runtime: Runtime, instance_id: int) -> str:
    return runtime.key("lock", "instance", instance_id)


def wait_key(runtime: Runtime, instance_id: int) -> str:
    return runtime.key("poll-wait", instance_id)


def asked_to_wait(runtime: Runtime, instance_id: int) -> bool:
    """Whether the remote's last answer (a 429 or 503 with Retry-After) still holds this
    instance's scheduled polls back."""
    return bool(runtime.redis.exists(wait_key(runtime, instance_id)))


def _remember_wait(runtime: Runtime, instance_id: int, exc: ConnectorError) -> str:
    # Polling again at the next interval would only spend the remote's quota and get
    # another 429; the scheduler skips the instance until the wait is over.
    if not isinstance(exc, RetriableError) or not exc.retry_after or exc.retry_after <= 0:
        return ""
    seconds = min(float(exc.retry_after), POLL_WAIT_LIMIT)
    runtime.redis.set(wait_key(runtime, instance_id), "1", px=max(1, int(seconds * 1000)))
    return f"; the next poll waits {seconds:.0f} s as the remote asked"


def run_poll(runtime: Runtime, instance_id: int, *, job_id: str | None = None, kind: str = "poll") -> dict[str, Any]:
    """Poll one instance now; returns the run's counts (or why it did not run)."""
    lease = Lease(runtime.redis, lock_key(runtime, instance_id), runtime.settings["LOCK_SECONDS"])
    if not lease.acquire():
        return {"status": "skipped", "reason": "a poll of this instance is already running"}
    try:
        return _poll(runtime, instance_id, lease, job_id, kind)
    finally:
        lease.release()


def _poll(runtime: Runtime, instance_id: int, lease: Lease, job_id: str | None, kind: str) -> dict[str, Any]:
    db = runtime.db
    with db.transaction() as session:
        instance = session.get(ConnectorInstance, instance_id)
        if instance is None or not instance.enabled:
            return {"status": "skipped", "reason": "the instance is missing or disabled"}
        cls = runtime.plugins.connectors.get(instance.connector)
        plugin = runtime.plugins.plugin_of_connector(instance.connector)
        if cls is None or not issubclass(cls, PollingSource) or (plugin and not runtime.plugins.is_enabled(plugin)):
            return {"status": "skipped", "reason": "the connector does not poll or is not available"}
        run = SyncRun(instance_id=instance_id, kind=kind, job_id=job_id, status="running", started_at=runtime.now())
        session.add(run)
        session.flush()
        run_id = run.id
        # Beating before the row commits: no reaper ever sees this run without its heartbeat.
        heartbeat = RunHeartbeat(runtime, run_id, lease)
        heartbeat.beat()
        connector = build_connector(session, instance)
    heartbeat.start()
    try:
        return _run(runtime, instance_id, run_id, connector, kind)
    finally:
        heartbeat.stop()


def _run(runtime: Runtime, instance_id: int, run_id: int, connector: Any, kind: str) -> dict[str, Any]:
    db = runtime.db
    counts = Counts()
    pending: list[RawEvent] = []
    error: str | None = None
    reconcile = kind == "reconcile"
    repaired = 0
    try:
        assert isinstance(connector, PollingSource)
        start = connector.reconcile_state(dict(connector.state)) if reconcile else dict(connector.state)
        for item in connector.poll(start) if start is not None else ():
            if isinstance(item, RawEvent):
                counts.fetched += 1
                pending.append(item)
                if len(pending) >= BATCH:
                    _store(runtime, instance_id, connector, pending, None, counts)
                    pending = []
            elif isinstance(item, Checkpoint):
                # A reconcile re-reads from the start: the instance's cursor stays where it was.
                _store(runtime, instance_id, connector, pending, None if reconcile else item.state, counts)
                pending = []
            elif isinstance(item, PollResult):
                counts.skipped += item.skipped
        _store(runtime, instance_id, connector, pending, None, counts)
        if reconcile:
            from hub.sync.reconcile import repair_outbound

            with db.transaction() as session:
                repaired = repair_outbound(session, instance_id)
    except ConnectorError as exc:
        error = f"{exc.kind}: {exc.message}" + _remember_wait(runtime, instance_id, exc)
    except Exception as exc:  # a connector bug: record it on the run and the instance, keep the worker
        log.exception("poll of instance %s failed", instance_id)
        error = f"error: {type(exc).__name__}: {exc}"
    finally:
        connector.close()
    with db.transaction() as session:
        finished = session.get(SyncRun, run_id)
        assert finished is not None
        run = finished
        run.finished_at = runtime.now()
        run.status = "failed" if error else "ok"
        run.error = error
        run.fetched, run.created, run.updated = counts.fetched, counts.created, counts.updated
        run.skipped, run.failed = counts.skipped, counts.failed
        record_error(session, instance_id, error, runtime.now())
    result = {"status": "failed" if error else "ok", "error": error, "run_id": run_id, **{
        key: getattr(counts, key) for key in ("fetched", "created", "updated", "skipped", "failed")}}
    if reconcile:
        result["repaired"] = repaired
    return result


def _store(runtime: Runtime, instance_id: int, connector: Any, events: list[RawEvent],
           state: dict[str, Any] | None, counts: Counts) -> None:
    """Store and apply a batch, and save the cursor that covers it, in one transaction."""
    if not events and state is None:
        return
    with runtime.db.transaction() as session:
        instance = session.get(ConnectorInstance, instance_id)
        assert instance is not None
        for raw in events:
            counts.add(ingest(session=session, instance=instance, connector=connector, raw=raw))
        if state is not None:
            instance.state = dict(state)
            connector.state = dict(state)
