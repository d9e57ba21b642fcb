"""Running a ListenerSource: one process per instance, events stored before acknowledgement.

The connector's ``listen`` calls ``sink.accept(event)`` for each message and acknowledges
it to its source only once ``accept`` returns, by which time the event and its effect are
committed. A crash between commit and acknowledgement makes the source deliver again;
the idempotency key makes that harmless.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select

from hub.core.runtime import Runtime
from hub.ingest.pipeline import IngestResult, ingest
from hub.models import ConnectorInstance
from hub.plugins.instances import build_connector, get_instance, record_error
from hub.sdk.connector import EventSink, ListenerSource
from hub.sdk.values import RawEvent

log = logging.getLogger("hub.listeners")


class StoringSink(EventSink):
    """Stores each event (and applies it) in its own transaction, then returns."""

    def __init__(self, runtime: Runtime, instance_id: int, connector: Any) -> None:
        self.runtime = runtime
        self.instance_id = instance_id
        self.connector = connector
        self.state = "starting"

    def accept(self, event: RawEvent) -> IngestResult:
        return self.accept_one(event)

    def accept_many(self, events: list[RawEvent]) -> list[IngestResult]:
        """A burst in one transaction: what the broker delivered together commits together,
        with repeats of an open alarm counted in bulk (hub.ingest.batch)."""
        from hub.ingest.batch import ingest_batch

        if len(events) == 1:
            return [self.accept_one(events[0])]
        with self.runtime.db.transaction() as session:
            instance = session.get(ConnectorInstance, self.instance_id)
            assert instance is not None
            return ingest_batch(session=session, instance=instance, connector=self.connector, raws=events)

    def accept_one(self, event: RawEvent) -> IngestResult:
        with self.runtime.db.transaction() as session:
            instance = session.get(ConnectorInstance, self.instance_id)
            assert instance is not None
            return ingest(session=session, instance=instance, connector=self.connector, raw=event)

    def report(self, state: str, detail: str = "") -> None:
        if state != self.state:
            log.info("listener %s: %s %s", self.instance_id, state, detail)
        self.state = state
        with self.runtime.db.transaction() as session:
            record_error(session, self.instance_id, detail if state == "error" else None, self.runtime.now())


def listener_instances(runtime: Runtime) -> dict[str, int]:
    """Enabled instances whose connector listens: slug -> id."""
    with runtime.db.reading() as session:
        rows = session.execute(select(ConnectorInstance.slug, ConnectorInstance.id, ConnectorInstance.connector)
                               .where(ConnectorInstance.enabled.is_(True))).all()
    found = {}
    for slug, instance_id, connector in rows:
        cls = runtime.plugins.connectors.get(connector)
        plugin = runtime.plugins.plugin_of_connector(connector)
        if cls is not None and issubclass(cls, ListenerSource) and (not plugin or runtime.plugins.is_enabled(plugin)):
            found[slug] = instance_id
    return found


def run_listener(runtime: Runtime, slug: str, stop: threading.Event) -> None:
    """Listen for one instance until ``stop`` is set (or the instance is disabled)."""
    with runtime.db.transaction() as session:
        instance = get_instance(session, slug)
        connector = build_connector(session, instance)
        instance_id = instance.id
    if not isinstance(connector, ListenerSource):
        raise ValueError(f"{slug} is a {connector.slug} instance, which does not listen")
    sink = StoringSink(runtime, instance_id, connector)

    def watch_switch() -> None:
        while not stop.wait(5.0):
            if slug not in listener_instances(runtime):
                log.info("listener %s: instance disabled; stopping", slug)
                stop.set()

    threading.Thread(target=watch_switch, daemon=True, name=f"switch-{slug}").start()
    try:
        connector.listen(sink, stop)
    finally:
        connector.close()
