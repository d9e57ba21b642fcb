"""Periodic work: connector polls and plugin schedules, cut into numbered windows.

A schedule is due once per window: for an interval, window n covers
[n * interval, (n + 1) * interval); for a cron expression, a window starts at each fire
time. The window number goes into the job id, so any number of schedulers asking for the
same window enqueue it once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

from hub.sdk.schedules import Schedule as Schedule  # re-exported: the core's schedulers read it here


def window(now: datetime, *, interval: int | None = None, cron: str | None = None) -> int:
    """The number of the window ``now`` falls in (cron windows are named by their start)."""
    if interval:
        return int(now.timestamp()) // interval
    assert cron is not None
    previous = croniter(cron, now.astimezone(UTC)).get_prev(datetime)
    return int(previous.timestamp())


def next_start(now: datetime, *, interval: int | None = None, cron: str | None = None) -> datetime:
    if interval:
        return datetime.fromtimestamp((int(now.timestamp()) // interval + 1) * interval, UTC)
    assert cron is not None
    return croniter(cron, now.astimezone(UTC)).get_next(datetime)
