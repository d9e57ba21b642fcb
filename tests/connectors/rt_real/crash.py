"""A hub worker killed at the worst moment of a delivery to the real RT, then restarted.

The worker is a real ``hub worker`` process sharing the test's database and Redis; the
scheduler runs in the test. A pass-through proxy (``proxy.RTProxy``) sits between the hub
and RT, and the kill lands right after RT has answered a chosen write and before the
answer reaches the worker: RT has the change, the hub has no record of it. Then a new
worker drains the outbox.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from hub.jobs.scheduler import Scheduler
from tests.connectors.rt_real.proxy import RTProxy
from tests.faults.conftest import process_env
from tests.support.jobs import nothing_pending
from tests.support.processes import kill_tree, start_outbound_worker, stop_worker
from tests.support.services import need_redis
from tests.support.waiting import scaled

DRAIN_SECONDS = 240.0
Counts = Callable[[str, str], bool]
"""Whether a request (method, path) is one of the writes counted towards the kill."""


def message_or_update(method: str, path: str) -> bool:
    return (method == "POST" and path.endswith(("/correspond", "/comment"))) or method == "PUT"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The test's settings, shared with the worker process: real Redis, short leases (a
    killed worker's lanes are free again within seconds)."""
    url = need_redis()
    prefix = f"rtkill{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, LOCK_SECONDS=5, OUTBOX_BACKOFF_SECONDS=0.05,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.5, OUTBOX_BATCH_SIZE=50)
    yield app_config
    redis = Redis.from_url(url)
    keys = [*redis.scan_iter(match=f"{prefix}*", count=1000), *redis.scan_iter(match=f"rq:*{prefix}*", count=1000)]
    if keys:
        redis.delete(*keys)
    redis.close()


class KillAfter:
    """Kills the worker right after RT has answered its ``n``-th counted write."""

    def __init__(self, n: int, counts: Counts = message_or_update) -> None:
        self.n, self.counts, self.writes = n, counts, 0
        self.worker: subprocess.Popen[bytes] | None = None
        self.done = threading.Event()

    def __call__(self, method: str, path: str, status: int) -> None:
        if status >= 300 or self.done.is_set() or not self.counts(method, path):
            return
        self.writes += 1
        if self.writes == self.n and self.worker is not None:
            kill_tree(self.worker.pid)
            self.done.set()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + scaled(timeout)
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.2)


def deliver_through_a_crash(runtime: Any, app_config: dict[str, Any], proxy: RTProxy, kill: KillAfter,
                            log_path: Path) -> None:
    """Deliver what the outbox holds with a worker that ``kill`` kills, then with a new one."""
    proxy.on_answer = kill
    stop = threading.Event()
    scheduler = threading.Thread(target=Scheduler(runtime, tick_seconds=0.2).run, args=(stop,), daemon=True)
    scheduler.start()
    log = log_path.open("ab")
    worker = kill.worker = start_outbound_worker(process_env(app_config), log)
    try:
        assert kill.done.wait(timeout=180), f"the worker made only {kill.writes} counted writes to RT"
        worker.wait(timeout=30)
        proxy.on_answer = None
        worker = start_outbound_worker(process_env(app_config), log)
        wait_for(lambda: nothing_pending(runtime), DRAIN_SECONDS, "the outbox did not drain after the restart")
    finally:
        stop.set()
        scheduler.join(timeout=30)
        stop_worker(worker)
        log.close()
