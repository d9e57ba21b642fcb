"""The job functions rq runs. Small, importable, taking ids (never objects).

Each runs inside the worker's app context (hub.jobs.worker), so it reaches the runtime
through Flask's ``current_app``.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import current_app

from hub.core.runtime import Runtime


def current_runtime() -> Runtime:
    return current_app.extensions["hub"]


def poll_instance(instance_id: int, window: int | None = None, kind: str | None = None) -> dict[str, Any]:
    """Poll a connector instance (one window of its schedule, or on demand); ``kind``
    ``reconcile`` re-reads everything and repairs drift (hub.sync.reconcile)."""
    from rq import get_current_job

    from hub.jobs.polling import run_poll

    job = get_current_job()
    return run_poll(current_runtime(), instance_id, job_id=job.id if job else None,
                    kind=kind or ("poll" if window is not None else "manual"))


def deliver_lanes(lanes: list[str]) -> dict[str, int]:
    """Deliver the due outbox messages of these lanes, each lane in order."""
    from hub.jobs.delivery import deliver_lanes as deliver

    return deliver(current_runtime(), lanes)


def run_schedule(name: str, window: int) -> Any:
    """Run a plugin's (or the hub's) periodic job once for its window."""
    runtime = current_runtime()
    schedule = runtime.schedules()[name]
    module_name, _, function_name = schedule.job.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)
    return function(**schedule.kwargs)


def process_event(event_id: int) -> dict[str, Any]:
    """Read and apply an event that was stored without being read (bulk intake)."""
    from hub.ingest.pipeline import process_event as process
    from hub.models import ConnectorInstance, InboundEvent
    from hub.plugins.instances import build_connector

    runtime = current_runtime()
    with runtime.db.transaction() as session:
        event = session.get(InboundEvent, event_id)
        if event is None or event.status != "received":
            return {"status": "skipped"}
        instance = session.get(ConnectorInstance, event.instance_id)
        assert instance is not None
        connector = build_connector(session, instance)
        try:
            return process(session=session, event_id=event_id, instance=instance, connector=connector).as_dict()
        finally:
            connector.close()


def noop() -> None:
    """Does nothing: the benchmark's measure of rq's own per-job cost."""


def process_events(event_ids: list[int]) -> dict[str, int]:
    """Read and apply events stored by a bulk intake, in one transaction per call (jobs
    queued before bulk intake woke the instance's reader, hub.jobs.reader)."""
    from hub.ingest.pipeline import process_event as process
    from hub.models import ConnectorInstance, InboundEvent
    from hub.plugins.instances import build_connector

    runtime = current_runtime()
    counts: dict[str, int] = {}
    connectors: dict[int, Any] = {}
    try:
        with runtime.db.transaction() as session:
            for event_id in event_ids:
                event = session.get(InboundEvent, event_id)
                if event is None or event.status != "received":
                    continue
                instance = session.get(ConnectorInstance, event.instance_id)
                assert instance is not None
                if instance.id not in connectors:
                    connectors[instance.id] = build_connector(session, instance)
                result = process(session=session, event_id=event_id, instance=instance,
                                 connector=connectors[instance.id])
                counts[result.status] = counts.get(result.status, 0) + 1
    finally:
        for connector in connectors.values():
            connector.close()
    return counts
