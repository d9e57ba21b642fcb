"""Fixed-window counters kept in the database, for limits inside a unit of work.

Web requests are limited by hub.api.throttle (Flask-Limiter, counted in Redis, keyed by
the client's address). This is for what happens inside a transaction, away from any
request: the notify plugin's acknowledgements per requester address, counted with the
ticket they belong to, so a rolled-back ingest counts nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import RateCounter
from hub.tracker.correlate import insert_ignoring_conflict


def hit(session: Session, key: str, *, limit: int, window_seconds: float) -> bool:
    """Count one hit of ``key``; False when it is over ``limit`` in the current window."""
    now = runtime_of(session).now()
    key = key[:255]
    if insert_ignoring_conflict(session, RateCounter.__table__,
                                {"key": key, "window_start": now, "count": 1}, ["key"]) is not None:
        return True
    counter = session.get(RateCounter, key, with_for_update=session.get_bind().dialect.name == "postgresql")
    assert counter is not None
    if now - counter.window_start >= timedelta(seconds=window_seconds):
        counter.window_start, counter.count = now, 1
        return True
    session.execute(update(RateCounter).where(RateCounter.key == key).values(count=RateCounter.count + 1))
    session.expire(counter)
    return counter.count <= limit


def purge(session: Session, *, older_than_seconds: float = 86_400) -> int:
    cutoff = runtime_of(session).now() - timedelta(seconds=older_than_seconds)
    # Keys under "ref:" count tickets that met a missing reference since its first one
    # (hub.plugins.references): kept until the settings holding it are saved.
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < cutoff,
                                                       ~RateCounter.key.startswith("ref:")))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
