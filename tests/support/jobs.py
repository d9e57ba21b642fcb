"""Running the background side inside a test: a burst worker and scheduler ticks, in process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from hub.jobs.scheduler import Scheduler, dispatch_lanes
from hub.jobs.worker import make_worker
from tests.support.waiting import wait_until


def drain(app: Flask, *, until: Callable[[], bool] | None = None, timeout: float = 20.0,
          what: str = "the background work to finish") -> None:
    """Dispatch due work and run queued jobs until ``until()`` holds (or nothing is left).

    ``timeout`` is the base deadline on an idle machine (tests.support.waiting scales it).
    Errors from ``until`` and from the jobs propagate at once: they are findings, not "not yet".
    """
    runtime = app.extensions["hub"]
    scheduler = Scheduler(runtime, tick_seconds=0.05)

    def one_round() -> bool:
        scheduler.step()
        make_worker(app, simple=True).work(burst=True, logging_level="WARNING")
        return until() if until is not None else _idle(runtime)

    wait_until(one_round, what=what, timeout=timeout, ignore=(), log=lambda: outbox_state(runtime))


def outbox_state(runtime: Any) -> str:
    """What still waits in the outbox, for a failed drain's message: a wait that gives up should
    say which delivery kept it going (its lane, tries and last error), not only that it gave up."""
    from sqlalchemy import select

    from hub.models import OutboxMessage

    with runtime.db.reading() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.status != "delivered")
                               .order_by(OutboxMessage.id).limit(20)).all()
        lines = [f"#{m.id} {m.lane} {m.action} {m.status} tries={m.attempts} next={m.next_attempt_at:%H:%M:%S.%f} "
                 f"error={(m.last_error or '')[:200]!r}" for m in rows]
    return "outbox, not delivered:\n" + ("\n".join(lines) if lines else "(nothing)")


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
