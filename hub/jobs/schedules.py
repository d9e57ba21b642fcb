"""Periodic work: connector polls and plugin schedules, cut into numbered windows.

A schedule is due once per window: for an interval, window n covers
[n * interval, (n + 1) * interval); for a cron expression, a window starts at each fire
time. The window number goes into the job id, so any number of schedulers asking for the
same window enqueue it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from croniter import croniter


@dataclass(frozen=True)
class Schedule:
    """A periodic job a plugin registers (``register_schedules``).

    ``job`` is the dotted path of a function taking no arguments besides ``kwargs``;
    it runs in a worker, inside the app context. Give ``interval`` (seconds) or ``cron``.
    """

    name: str
    job: str
    interval: int | None = None
    cron: str | None = None
    queue: str = "maintenance"
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: int = 600

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError(f"schedule {self.name}: give an interval or a cron expression, not both or neither")
        if self.interval is not None and self.interval < 1:
            raise ValueError(f"schedule {self.name}: the interval must be at least 1 second")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"schedule {self.name}: {self.cron!r} is not a cron expression")


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
