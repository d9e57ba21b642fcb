"""GET /metrics: Prometheus figures, read from the database and Redis at scrape time.

Counting from the stores (not in-process counters) gives the same figures whatever
process answers, with any number of web and worker processes. Scrape every 30-60 s.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, Unauthorized

from hub import __version__
from hub.api.context import reading, runtime
from hub.auth.web import current_principal, public
from hub.models import InboundEvent, OutboxMessage, PluginState, SyncRun, Ticket

bp = Blueprint("metrics", __name__)


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str, samples: list[tuple[dict[str, Any], float]]) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples:
            rendered = ",".join(f'{key}="{_escape(label)}"' for key, label in labels.items())
            self.lines.append(f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


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
    out = Exposition()
    out.metric("hub_build_info", "gauge", "The running version.", [({"version": __version__}, 1)])
    now = hub.now()
    with reading() as session:
        tickets = session.execute(select(Ticket.kind, Ticket.status, func.count()).group_by(Ticket.kind,
                                                                                           Ticket.status)).all()
        out.metric("hub_tickets", "gauge", "Tickets by kind and status.",
                   [({"kind": kind, "status": status}, count) for kind, status, count in tickets])
        events = session.execute(select(InboundEvent.status, func.count()).group_by(InboundEvent.status)).all()
        out.metric("hub_inbound_events_total", "counter", "Events received, by what became of them.",
                   [({"status": status}, count) for status, count in events])
        messages = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        out.metric("hub_outbox_messages", "gauge", "Outbound deliveries by status (dead = dead letters).",
                   [({"status": status}, count) for status, count in messages])
        oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending"))
        out.metric("hub_outbox_oldest_pending_seconds", "gauge", "Age of the oldest undelivered message.",
                   [({}, round((now - oldest).total_seconds(), 3) if oldest else 0)])
        runs = session.execute(select(SyncRun.status, func.count()).where(
            SyncRun.started_at >= now - timedelta(hours=24)).group_by(SyncRun.status)).all()
        out.metric("hub_sync_runs_24h", "gauge", "Polls and syncs in the last 24 hours by outcome.",
                   [({"status": status}, count) for status, count in runs])
        failures = session.execute(select(PluginState.name, PluginState.failure_count)).all()
        out.metric("hub_plugin_failures_total", "counter", "Exceptions raised by each plugin's hooks.",
                   [({"plugin": name}, count) for name, count in failures])
    try:
        from hub.jobs.status import job_status

        status = job_status(hub, failed_limit=0)
        out.metric("hub_queue_jobs", "gauge", "rq jobs by queue and state.",
                   [({"queue": purpose, "state": state}, values[state]) for purpose, values in status["queues"].items()
                    for state in ("queued", "started", "failed")])
        out.metric("hub_workers", "gauge", "rq workers alive.", [({}, len(status["workers"]))])
        out.metric("hub_redis_up", "gauge", "1 when Redis answers.", [({}, 1)])
    except Exception:
        out.metric("hub_redis_up", "gauge", "1 when Redis answers.", [({}, 0)])
    return Response(out.text(), content_type="text/plain; version=0.0.4; charset=utf-8")
