"""Periodic jobs a plugin registers (``register_schedules``)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
