"""Priority from impact and urgency: the ITIL matrix, overridable cell by cell in settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LEVELS = ("low", "medium", "high")

DEFAULT_MATRIX: dict[str, dict[str, int]] = {
    # impact -> urgency -> priority (1 critical .. 5 planning)
    "high": {"high": 1, "medium": 2, "low": 3},
    "medium": {"high": 2, "medium": 3, "low": 4},
    "low": {"high": 3, "medium": 4, "low": 5},
}

PRIORITY_NAMES = {1: "P1 critical", 2: "P2 high", 3: "P3 moderate", 4: "P4 low", 5: "P5 planning"}


class PriorityMatrix:
    def __init__(self, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        cells = {impact: dict(row) for impact, row in DEFAULT_MATRIX.items()}
        for impact, row in (overrides or {}).items():
            if impact not in LEVELS or not isinstance(row, Mapping):
                raise ValueError(f"PRIORITY_MATRIX: unknown impact {impact!r}; use {', '.join(LEVELS)}")
            for urgency, value in row.items():
                if urgency not in LEVELS:
                    raise ValueError(f"PRIORITY_MATRIX: unknown urgency {urgency!r} under {impact!r}")
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                    raise ValueError(f"PRIORITY_MATRIX[{impact}][{urgency}]: expected 1 to 5, got {value!r}")
                cells[impact][urgency] = value
        self.cells = cells

    def priority(self, impact: str, urgency: str) -> int:
        return self.cells[impact][urgency]
