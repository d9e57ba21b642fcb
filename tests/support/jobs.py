"""Running the background side inside a test: a burst worker and scheduler ticks, in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from hub.jobs.scheduler import Scheduler, dispatch_lanes
from hub.jobs.worker import make_worker


def drain(app: Flask, *, until: Callable[[], bool] | None = None, timeout: float = 20.0) -> None:
    """Dispatch due work and run queued jobs until ``until()`` holds (or nothing is left)."""
    runtime = app.extensions["hub"]
    scheduler = Scheduler(runtime, tick_seconds=0.05)
    deadline = time.monotonic() + timeout
    while True:
        scheduler.step()
        make_worker(app, simple=True).work(burst=True, logging_level="WARNING")
        if (until is None or until()) and (until is not None or _idle(runtime)):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the background work did not finish in time")
        time.sleep(0.05)


def _idle(runtime: Any) -> bool:
    from hub.delivery import outbox

    with runtime.db.reading() as session:
        return not outbox.due_lanes(session)


def nothing_pending(runtime: Any) -> bool:
    """No outbound message waits, not even one whose retry is not due yet (``drain`` stops at those)."""
    from sqlalchemy import select

    from hub.models import OutboxMessage

    with runtime.db.reading() as session:
        return session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "pending").limit(1)) is None


def dispatch_now(app: Flask, lanes: list[str]) -> int:
    return dispatch_lanes(app.extensions["hub"], lanes)
