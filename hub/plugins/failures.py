"""Hook failures, collected in memory while the failing transaction runs (hub.plugins.admin
writes them to the plugins' records afterwards)."""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger("hub.plugins")


@dataclass
class HookFailure:
    plugin: str
    hook: str
    error: str
    at: datetime


class FailureLog:
    """Hook failures since the last flush, and counts per plugin since start-up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending: list[HookFailure] = []
        self.counts: dict[str, int] = {}

    def record(self, plugin: str, hook: str, exc: BaseException) -> None:
        log.error("plugin %s failed in hook %s: %s", plugin, hook, exc, exc_info=exc,
                  extra={"plugin": plugin, "hook": hook})
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with self._lock:
            self.pending.append(HookFailure(plugin, hook, text[:2000], datetime.now(UTC)))
            self.counts[plugin] = self.counts.get(plugin, 0) + 1

    def take(self) -> list[HookFailure]:
        with self._lock:
            pending, self.pending = self.pending, []
        return pending
