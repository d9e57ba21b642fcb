"""Named rq queues by purpose, and enqueueing that is safe to repeat."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, cast

from redis import Redis
from rq import Queue
from rq.job import Job

from hub.core.runtime import Runtime

log = logging.getLogger("hub.jobs")

#: Queue purposes, in the order a worker serves them (the most urgent first).
PURPOSES = ("ingest", "outbound", "sync", "maintenance")


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def job_id(runtime: Runtime, *parts: object) -> str:
    """A deterministic rq job id, prefixed like the queues (rq's job keys are global, so
    two hubs sharing a Redis must not collide). rq allows letters, digits, _ and - only."""
    return "-".join(_UNSAFE.sub("_", str(part)) for part in (runtime.settings["QUEUE_PREFIX"], *parts))[:200]


def queue_name(runtime: Runtime, purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown queue {purpose!r}; queues are {', '.join(PURPOSES)}")
    return f"{runtime.settings['QUEUE_PREFIX']}-{purpose}"


def get_queue(runtime: Runtime, purpose: str, connection: Redis | None = None) -> Queue:
    return Queue(queue_name(runtime, purpose), connection=connection or runtime.redis)


def enqueue_once(
    runtime: Runtime, purpose: str, func: Callable[..., Any] | str, *args: Any, job_id: str,
    timeout: int = 600, **kwargs: Any,
) -> bool:
    """Enqueue unless a job with this id is queued or running; True when enqueued.

    Job ids are deterministic (a poll's instance and window, a lane batch), so the same
    work asked for twice, by two schedulers or after a restart, runs once.
    """
    connection = runtime.redis
    existing = Job.fetch(job_id, connection=connection) if Job.exists(job_id, connection=connection) else None
    if existing is not None and existing.get_status(refresh=False) in ("queued", "started", "deferred", "scheduled"):
        return False
    get_queue(runtime, purpose, connection).enqueue(
        cast(Any, func), args=args, kwargs=kwargs, job_id=job_id, job_timeout=timeout, result_ttl=600,
        failure_ttl=7 * 86400, description=job_id)
    return True
