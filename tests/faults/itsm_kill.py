"""Killing a real delivery worker at a chosen moment of its talk with an ITSM double.

``Killer`` sits in front of the double's WSGI app. Armed with a plan, it sends SIGKILL to
the worker and its work horse either right after the double has carried out the n-th write
(the remote accepted it; its answer never arrives, and the outbox never hears of it) or
right as the n-th read comes in (the worker may have claimed messages it has not pushed).
The double keeps running: what it holds afterwards is what the remote would hold.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hub.jobs.scheduler import Scheduler
from tests.faults.conftest import process_env
from tests.support.jobs import nothing_pending
from tests.support.processes import kill_tree, start_outbound_worker, stop_worker
from tests.support.waiting import scaled

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Kill:
    """Kill after the ``nth`` write the double carried out, or (``on_read``) as the ``nth``
    read arrives; ``match``: count only requests whose path, query and body match this regex."""

    nth: int
    on_read: bool = False
    match: str | None = None


class Killer:
    """WSGI middleware over a running ``FakeServer``; ``arm(pid, kill)`` for each worker."""

    def __init__(self, server: Any) -> None:
        wsgi = server._server
        assert wsgi is not None, "start the double first"
        self._inner = wsgi.app
        wsgi.app = self
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._plan: Kill | None = None
        self._seen = 0
        self.fired = threading.Event()

    def arm(self, pid: int, plan: Kill | None) -> None:
        with self._lock:
            self._pid, self._plan, self._seen = pid, plan, 0
            self.fired.clear()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ["REQUEST_METHOD"]
        seen = _described(environ)
        if self._due(method, seen, before=True):
            self._fire()
        answer = self._inner(environ, start_response)
        if self._due(method, seen, before=False):
            self._fire()  # the write is done; the worker never reads the answer
        return answer

    def _due(self, method: str, seen: str, *, before: bool) -> bool:
        with self._lock:
            plan = self._plan
            if plan is None or plan.on_read != before or (method in WRITES) == before:
                return False
            if plan.match is not None and not re.search(plan.match, seen):
                return False
            self._seen += 1
            if self._seen < plan.nth:
                return False
            self._plan = None
            return True

    def _fire(self) -> None:
        if self._pid is not None:
            kill_tree(self._pid)
        self.fired.set()


def _described(environ: dict[str, Any]) -> str:
    """Path, query and body of a request, the body read and put back for the app."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}\n{body.decode('utf-8', 'replace')}"


@contextmanager
def scheduling(runtime: Any) -> Iterator[None]:
    """The scheduler's ticks in a thread: due lanes are handed to the worker's queue."""
    halt = threading.Event()
    thread = threading.Thread(target=Scheduler(runtime, tick_seconds=0.2).run, args=(halt,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        halt.set()
        thread.join(timeout=10)


def deliver_with_kills(runtime: Any, app_config: dict[str, Any], killer: Killer, kills: list[Kill],
                       *, timeout: float = 120.0) -> None:
    """Workers deliver the outbox; each plan kills one of them mid-delivery, and a fresh one
    takes over; the last one finishes. Returns when nothing is pending."""
    deadline = time.monotonic() + scaled(timeout)
    with scheduling(runtime):
        for plan in kills:
            worker = start_outbound_worker(process_env(app_config))
            killer.arm(worker.pid, plan)
            try:
                assert killer.fired.wait(max(1.0, deadline - time.monotonic())), f"{plan} never came"
                worker.wait(timeout=10)
            finally:
                stop_worker(worker)
        worker = start_outbound_worker(process_env(app_config))
        killer.arm(worker.pid, None)
        try:
            while not nothing_pending(runtime):
                assert time.monotonic() < deadline, "the outbox did not drain after the kills"
                time.sleep(0.2)
        finally:
            stop_worker(worker)
