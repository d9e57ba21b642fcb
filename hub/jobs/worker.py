"""The rq worker: builds the app once, runs every job in its app context, logs the job id."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from hub.core.logs import job_id_var
from hub.jobs.queues import PURPOSES, queue_name
from hub.plugins.admin import flush_failures

log = logging.getLogger("hub.jobs")


class _HubJobs:
    """What both worker classes add to rq's: the app context and per-job bookkeeping."""

    hub_app: Flask

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        runtime = self.hub_app.extensions["hub"]
        # A forking worker runs this in the child: pooled connections must not be shared.
        runtime.db.after_fork()
        if getattr(runtime, "_pid", None) != os.getpid():
            runtime.reset_redis()
            runtime._pid = os.getpid()
        token = job_id_var.set(job.id)
        try:
            with self.hub_app.app_context():
                return bool(super().perform_job(job, queue, *args, **kwargs))  # type: ignore[misc]
        finally:
            flush_failures(runtime)
            job_id_var.reset(token)


    def unsubscribe(self) -> None:
        """rq's, with the wait for the command listener bounded (a worker stopped in 1 s, not 60).

        rq listens for commands (stop a job, shut down) on a pub/sub thread that waits up to
        60 s for a message, and its unsubscribe() stops that thread. Since redis-py 8.2,
        ``PubSubWorkerThread.stop()`` waits for the thread to end; when the thread has already
        read the UNSUBSCRIBE confirmation it is waiting for a subscription again, for the full
        60 s. A burst worker then ends a minute late and a warm shutdown outlasts a process
        manager's stop timeout. The thread is a daemon and leaves on its own once it wakes.
        """
        thread = getattr(self, "pubsub_thread", None)
        if not thread:
            return
        pubsub = self.pubsub  # type: ignore[attr-defined]
        pubsub.unsubscribe()
        try:
            thread.stop(timeout=1)  # redis-py >= 8.2 waits for the thread unless bounded
        except TypeError:
            thread.stop()  # earlier: only clears the thread's flag
        thread.join(timeout=1)
        pubsub.close()


class HubWorker(_HubJobs, Worker):
    """Forks a child per job: a job that crashes or leaks cannot take the worker down."""


class HubSimpleWorker(_HubJobs, SimpleWorker):
    """Runs jobs in the worker process itself: faster for many small jobs."""


def make_worker(app: Flask, purposes: list[str] | None = None, *, simple: bool = False,
                name: str | None = None) -> Worker:
    runtime = app.extensions["hub"]
    names = [queue_name(runtime, purpose) for purpose in (purposes or list(PURPOSES))]
    cls: Any = HubSimpleWorker if simple else HubWorker
    worker = cls(names, connection=runtime.redis, name=name)
    worker.hub_app = app
    return worker
