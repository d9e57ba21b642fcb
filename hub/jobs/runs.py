"""The record of a poll while it runs: a heartbeat in Redis, and the reaper of runs whose worker died.

A run's row says ``running`` from its start to its end, but a worker killed in between
(``kill -9``, an out-of-memory kill, a lost machine) never writes the end. So a live run
keeps a short-lived Redis key alive from a thread of its own, which dies with the
process; the scheduler's tick marks every ``running`` row without that key
``abandoned``, with the reason, within one lease (``LOCK_SECONDS``) of the death.

The same thread renews the instance's poll lease, so a poll that waits long on a slow
remote keeps its instance to itself for as long as its process lives, and no longer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select, update

from hub.core.runtime import Runtime
from hub.jobs.locks import Lease
from hub.models import SyncRun
from hub.plugins.instances import record_error

log = logging.getLogger("hub.jobs.runs")

ABANDONED = "abandoned"
"""The status of a run whose worker stopped before it could record the end."""


def heartbeat_key(runtime: Runtime, run_id: int) -> str:
    return runtime.key("run", run_id, "alive")


def heartbeat_seconds(runtime: Runtime) -> float:
    """How long a heartbeat lasts: the lease time, so a dead run is seen within one lease."""
    return max(1.0, float(runtime.settings["LOCK_SECONDS"]))


def abandoned_reason(runtime: Runtime) -> str:
    return (f"abandoned: its worker stopped without finishing (no heartbeat for {heartbeat_seconds(runtime):.0f} s: "
            "killed, crashed or cut off from Redis). What it saved up to its last checkpoint is kept; the next "
            "poll goes on from there.")


class RunHeartbeat:
    """Keeps a run's key (and its instance's lease) alive from a thread while the process lives."""

    def __init__(self, runtime: Runtime, run_id: int, lease: Lease) -> None:
        self.redis = runtime.redis
        self.key = heartbeat_key(runtime, run_id)
        self.lease = lease
        self.milliseconds = int(heartbeat_seconds(runtime) * 1000)
        # Three beats per lifetime: one late beat on a busy machine is not a death.
        self.interval = self.milliseconds / 3000
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        self.redis.set(self.key, self.owner, px=self.milliseconds)
        self.lease.renew()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {self.key}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except RedisError as exc:  # the next beat tries again; the reaper waits a whole lease
                log.warning("heartbeat %s not renewed: %s", self.key, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with contextlib.suppress(RedisError):  # it expires by itself
            self.redis.delete(self.key)


def reap_abandoned_runs(runtime: Runtime) -> int:
    """Mark ``abandoned`` every running run whose heartbeat is gone; returns how many."""
    with runtime.db.reading() as session:
        running = session.execute(select(SyncRun.id, SyncRun.instance_id).where(SyncRun.status == "running")).all()
    if not running:
        return 0
    with runtime.redis.pipeline(transaction=False) as pipe:
        for run_id, _ in running:
            pipe.exists(heartbeat_key(runtime, run_id))
        alive = pipe.execute()
    dead = [(run_id, instance_id) for (run_id, instance_id), beating in zip(running, alive, strict=True)
            if not beating]
    if not dead:
        return 0
    return _mark_abandoned(runtime, dead)


def _mark_abandoned(runtime: Runtime, dead: list[Any]) -> int:
    reason, now, marked = abandoned_reason(runtime), runtime.now(), 0
    with runtime.db.transaction() as session:
        for run_id, instance_id in dead:
            # Only if still running: a run that finished since the read keeps its own end.
            changed = session.execute(update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "running")
                                      .values(status=ABANDONED, finished_at=now, error=reason)
                                      .execution_options(synchronize_session=False))
            if getattr(changed, "rowcount", 0):
                marked += 1
                record_error(session, instance_id, f"run {run_id} {reason}", now)
                log.warning("sync run %s of instance %s abandoned: no heartbeat", run_id, instance_id)
    return marked
