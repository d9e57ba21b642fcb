"""The hub's scheduler: enqueues due polls, plugin schedules and outbox deliveries.

Any number may run (one per machine, for availability); a Redis lease elects the one
that works, and the others wait to take over. It only ever enqueues: the work runs in
the workers. Every enqueue carries a deterministic job id (instance and window,
schedule and window), so a takeover mid-tick or a restart repeats nothing.

rq's own CronScheduler is not used for this: it has no leader election and takes no job
ids, and instances (with their intervals and cron expressions) change at run time.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select

from hub.core.runtime import Runtime
from hub.delivery import outbox
from hub.jobs import tasks
from hub.jobs.delivery import dispatched_key
from hub.jobs.locks import Lease
from hub.jobs.polling import asked_to_wait
from hub.jobs.queues import enqueue_once, get_queue, job_id
from hub.jobs.runs import reap_abandoned_runs
from hub.jobs.schedules import window
from hub.models import ConnectorInstance
from hub.sdk.connector import PollingSource

log = logging.getLogger("hub.scheduler")



def dispatch_lanes(runtime: Runtime, lanes: list[str]) -> int:
    """Enqueue delivery jobs for lanes not already dispatched; returns jobs enqueued."""
    if not lanes:
        return 0
    redis = runtime.redis
    with redis.pipeline() as pipe:
        for lane in lanes:
            # The mark expires like a lease: lanes of a killed worker are dispatched again.
            pipe.set(dispatched_key(runtime, lane), "1", nx=True, ex=int(runtime.settings["LOCK_SECONDS"]))
        fresh = [lane for lane, marked in zip(lanes, pipe.execute(), strict=True) if marked]
    size = max(1, int(runtime.settings["OUTBOX_BATCH_SIZE"]))
    queue = get_queue(runtime, "outbound")
    chunks = [fresh[start:start + size] for start in range(0, len(fresh), size)]
    for chunk in chunks:
        queue.enqueue(tasks.deliver_lanes, args=(chunk,), job_timeout=900, result_ttl=60, failure_ttl=7 * 86400,
                      description=f"deliver {len(chunk)} lane(s)")
    return len(chunks)


class Scheduler:
    def __init__(self, runtime: Runtime, *, tick_seconds: float | None = None) -> None:
        self.runtime = runtime
        self.tick_seconds = float(tick_seconds or runtime.settings["SCHEDULER_TICK_SECONDS"])
        self.lease = Lease(runtime.redis, runtime.key("scheduler", "leader"), max(5.0, self.tick_seconds * 5))
        self.windows_key = runtime.key("scheduler", "windows")
        self.leading = False

    def run(self, stop: threading.Event) -> None:
        log.info("scheduler started (tick %.1fs)", self.tick_seconds)
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.step()
            except RedisError as exc:
                log.warning("Redis unavailable (%s); the outbox waits in the database", exc)
                self.leading = False
            except Exception:
                log.exception("scheduler tick failed")
            stop.wait(max(0.0, self.tick_seconds - (time.monotonic() - started)))
        self.lease.release()
        log.info("scheduler stopped")

    def step(self) -> dict[str, Any]:
        """Take or keep the lead, then do one tick if leading."""
        held = self.lease.renew() if self.leading else self.lease.acquire()
        if held != self.leading:
            log.info("scheduler %s the lead", "took" if held else "lost")
        self.leading = held
        if not held:
            return {"leading": False}
        return {"leading": True, **self.tick()}

    def _reconcile_if_due(self, cls: type[PollingSource], instance_id: int, now: Any) -> int:
        """Queue the instance's reconcile once per SYNC_RECONCILE_CRON window, if it can re-read."""
        cron = str(self.runtime.settings["SYNC_RECONCILE_CRON"] or "")
        if not cron or cls.reconcile_state is PollingSource.reconcile_state:
            return 0
        current = window(now, cron=cron)
        field = f"reconcile:{instance_id}:{cron}"
        last = self.runtime.redis.hget(self.windows_key, field)
        if last is None:
            # First sight of this instance (or of a new cron): start from the next window
            # instead of re-reading everything the moment the hub starts.
            self.runtime.redis.hset(self.windows_key, field, current)
            return 0
        if int(last) >= current:
            return 0
        queued = enqueue_once(self.runtime, "sync", tasks.poll_instance, instance_id, None, "reconcile",
                              job_id=job_id(self.runtime, "reconcile", instance_id, current), timeout=3600)
        self.runtime.redis.hset(self.windows_key, field, current)
        return int(queued)

    def tick(self) -> dict[str, Any]:
        runtime = self.runtime
        now = runtime.now()
        with runtime.db.reading() as session:
            lanes = outbox.due_lanes(session)
            instances = [(i.id, i.connector, i.poll_interval, i.poll_cron) for i in session.scalars(
                select(ConnectorInstance).where(ConnectorInstance.enabled.is_(True)))]
        delivery_jobs = dispatch_lanes(runtime, lanes)
        abandoned = reap_abandoned_runs(runtime)
        polls = 0
        redis = runtime.redis
        for instance_id, connector, interval, cron in instances:
            cls = runtime.plugins.connectors.get(connector)
            plugin = runtime.plugins.plugin_of_connector(connector)
            if cls is None or not issubclass(cls, PollingSource) or (plugin and not runtime.plugins.is_enabled(plugin)):
                continue
            interval = interval or (None if cron else cls.default_poll_interval or 300)
            current = window(now, interval=interval, cron=cron)
            field = f"instance:{instance_id}:{interval or cron}"
            last = redis.hget(self.windows_key, field)
            if last is not None and int(last) >= current:
                continue
            if asked_to_wait(runtime, instance_id):
                continue  # the window stays open: the poll runs on the first tick after the wait
            if enqueue_once(runtime, "sync", tasks.poll_instance, instance_id, current,
                            job_id=job_id(runtime, "poll", instance_id, current), timeout=3600):
                polls += 1
            redis.hset(self.windows_key, field, current)
            polls += self._reconcile_if_due(cls, instance_id, now)
        schedules = 0
        for name, schedule in runtime.schedules().items():
            owner = runtime.schedule_owner(name)
            if owner and not runtime.plugins.is_enabled(owner):
                continue
            current = window(now, interval=schedule.interval, cron=schedule.cron)
            field = f"schedule:{name}:{schedule.interval or schedule.cron}"
            last = redis.hget(self.windows_key, field)
            if last is not None and int(last) >= current:
                continue
            if enqueue_once(runtime, schedule.queue, tasks.run_schedule, name, current,
                            job_id=job_id(runtime, "schedule", name, current), timeout=schedule.timeout):
                schedules += 1
            redis.hset(self.windows_key, field, current)
        return {"lanes": len(lanes), "delivery_jobs": delivery_jobs, "polls": polls, "schedules": schedules,
                "abandoned_runs": abandoned}
