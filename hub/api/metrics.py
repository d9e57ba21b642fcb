"""GET /metrics: Prometheus figures (prometheus_client), read from the database and Redis at scrape time.

Counting from the stores, not in-process counters, gives the same figures whatever
process answers, with any number of web and worker processes: that is why the hub needs
none of prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR). Each app keeps
its own registry holding one collector, which runs the queries on every scrape. Scrape
every 30-60 s. The metric names are the ones dashboards already use.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, Unauthorized

from hub import __version__
from hub.api.context import runtime
from hub.auth.web import current_principal, public
from hub.core.runtime import Runtime
from hub.models import InboundEvent, OutboxMessage, PluginState, SyncRun, Ticket

bp = Blueprint("metrics", __name__)


def _gauge(name: str, documentation: str, labels: list[str], rows: Any) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *values, count in rows:
        family.add_metric([str(value) for value in values], float(count or 0))
    return family


def _counter(name: str, documentation: str, labels: list[str], rows: Any) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for *values, count in rows:
        family.add_metric([str(value) for value in values], float(count or 0))
    return family


class StoreCollector:
    """Every hub figure, queried from the database and Redis when Prometheus asks."""

    def __init__(self, hub: Runtime) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        yield _gauge("hub_build_info", "The running version.", ["version"], [(__version__, 1)])
        yield from self._database()
        yield from self._queues()

    def _database(self) -> Iterator[Metric]:
        now = self.hub.now()
        with self.hub.db.reading() as session:
            yield _gauge("hub_tickets", "Tickets by kind and status.", ["kind", "status"], session.execute(
                select(Ticket.kind, Ticket.status, func.count()).group_by(Ticket.kind, Ticket.status)).all())
            yield _counter("hub_inbound_events_total", "Events received, by what became of them.", ["status"],
                           session.execute(select(InboundEvent.status, func.count())
                                           .group_by(InboundEvent.status)).all())
            yield _gauge("hub_outbox_messages", "Outbound deliveries by status (dead = dead letters).", ["status"],
                         session.execute(select(OutboxMessage.status, func.count())
                                         .group_by(OutboxMessage.status)).all())
            oldest = session.scalar(select(func.min(OutboxMessage.created_at))
                                    .where(OutboxMessage.status == "pending"))
            yield GaugeMetricFamily("hub_outbox_oldest_pending_seconds", "Age of the oldest undelivered message.",
                                    value=round((now - oldest).total_seconds(), 3) if oldest else 0.0)
            yield _gauge("hub_sync_runs_24h", "Polls and syncs in the last 24 hours by outcome.", ["status"],
                         session.execute(select(SyncRun.status, func.count()).where(
                             SyncRun.started_at >= now - timedelta(hours=24)).group_by(SyncRun.status)).all())
            yield _counter("hub_plugin_failures_total", "Exceptions raised by each plugin's hooks.", ["plugin"],
                           session.execute(select(PluginState.name, PluginState.failure_count)).all())

    def _queues(self) -> Iterator[Metric]:
        try:
            from hub.jobs.status import job_status

            status = job_status(self.hub, failed_limit=0)
        except Exception:  # Redis away: say so, keep the database figures
            yield GaugeMetricFamily("hub_redis_up", "1 when Redis answers.", value=0)
            return
        yield _gauge("hub_queue_jobs", "rq jobs by queue and state.", ["queue", "state"],
                     [(purpose, state, values[state]) for purpose, values in status["queues"].items()
                      for state in ("queued", "started", "failed")])
        yield GaugeMetricFamily("hub_workers", "rq workers alive.", value=len(status["workers"]))
        yield GaugeMetricFamily("hub_redis_up", "1 when Redis answers.", value=1)


def registry_of(hub: Runtime) -> CollectorRegistry:
    """The app's own registry (never prometheus_client's global one, which tests and
    embedded apps would share)."""
    registry = current_app.extensions.get("hub.metrics")
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(hub))
        current_app.extensions["hub.metrics"] = registry
    return registry


@bp.get("/metrics")
@public
def metrics() -> Any:
    hub = runtime()
    if not hub.settings.get("METRICS_PUBLIC"):
        principal = current_principal()
        if principal is None or principal.via != "token":
            raise Unauthorized("Scrape with an API token (Authorization: Bearer), or set HUB_METRICS_PUBLIC.")
        if not principal.can("admin"):
            raise Forbidden("Metrics need an admin token.")
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry_of(hub)), content_type=content_type)
