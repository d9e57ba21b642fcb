"""Database rate limits: a window of hits, then refusals, then a fresh window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.tracker.rate_limits import hit, purge


def test_limit_then_refuse_then_a_new_window(runtime: Any) -> None:
    clock = [datetime(2026, 11, 16, 9, 0, tzinfo=UTC)]
    runtime.clock = lambda: clock[0]
    with runtime.db.transaction() as session:
        results = [hit(session, "form:203.0.113.7", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [True, True, True, False, False]
    with runtime.db.transaction() as session:
        assert hit(session, "form:198.51.100.1", limit=3, window_seconds=60)  # other keys are separate
    clock[0] += timedelta(seconds=61)
    with runtime.db.transaction() as session:
        assert hit(session, "form:203.0.113.7", limit=3, window_seconds=60)
    clock[0] += timedelta(days=2)
    with runtime.db.transaction() as session:
        assert purge(session) == 2
