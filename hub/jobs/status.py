"""What admins see of the background: queues, workers, failed jobs, sync runs."""

from __future__ import annotations

import uuid
from typing import Any

from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import Runtime
from hub.delivery import outbox
from hub.jobs import tasks
from hub.jobs.queues import PURPOSES, enqueue_once, get_queue, job_id
from hub.models import SyncRun


def job_status(runtime: Runtime, *, failed_limit: int = 20) -> dict[str, Any]:
    redis = runtime.redis
    queues = {}
    failed = []
    for purpose in PURPOSES:
        queue = get_queue(runtime, purpose, redis)
        registry = FailedJobRegistry(queue=queue)
        queues[purpose] = {"name": queue.name, "queued": queue.count,
                           "started": StartedJobRegistry(queue=queue).count, "failed": registry.count}
        for failed_id in registry.get_job_ids(0, failed_limit - 1):
            job = Job.fetch(failed_id, connection=redis) if Job.exists(failed_id, connection=redis) else None
            if job is not None:
                failed.append({"id": job.id, "queue": purpose, "description": job.description,
                               "ended_at": job.ended_at, "error": (job.exc_info or "").strip().splitlines()[-1:]})
    workers = [{"name": worker.name, "state": worker.get_state(), "queues": worker.queue_names(),
                "current_job": worker.get_current_job_id(), "last_heartbeat": worker.last_heartbeat}
               for worker in Worker.all(connection=redis)]
    with runtime.db.reading() as session:
        stats = outbox.stats(session)
    return {"queues": queues, "workers": workers, "failed_jobs": failed[:failed_limit], "outbox": stats.__dict__}


def recent_runs(session: Session, instance_id: int, limit: int = 20) -> list[SyncRun]:
    return list(session.scalars(select(SyncRun).where(SyncRun.instance_id == instance_id)
                                .order_by(SyncRun.id.desc()).limit(limit)))


def sync_now(runtime: Runtime, instance_id: int, *, reconcile: bool = False) -> str:
    """Queue a poll of the instance now, or with ``reconcile`` a full re-read and repair."""
    kind = "reconcile" if reconcile else "poll"
    ident = job_id(runtime, kind, instance_id, "now", uuid.uuid4().hex[:8])
    enqueue_once(runtime, "sync", tasks.poll_instance, instance_id, None, "reconcile" if reconcile else None,
                 job_id=ident, timeout=3600)
    return ident
