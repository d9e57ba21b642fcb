"""The SLA clocks as agents read them: a short phrase per list row, a line per target on the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.tracker.sla_clock import TargetClock, sla_clock
from hub.ui.moments import duration

VERBS = {"response": "Answer", "resolution": "Resolve"}
LABELS = {"response": "Response", "resolution": "Resolution"}


def _phrase(clock: TargetClock) -> str:
    verb = VERBS[clock.target]
    if clock.state == "met":
        return f"{LABELS[clock.target]} met"
    if clock.breached and clock.met:
        return f"{LABELS[clock.target]} missed"
    left = clock.seconds_left or 0
    if clock.paused:
        return f"Paused, {duration(left)} left" if left >= 0 else "Paused, overdue"
    if left < 0:
        return f"{verb} {duration(left)} late"
    return f"{verb} in {duration(left)}"


def _css(clock: TargetClock) -> str:
    if clock.breached:
        return "bad"
    if clock.due_soon:
        return "warn"
    return {"met": "ok", "paused": "muted"}.get(clock.state, "")


def target_line(clock: TargetClock) -> dict[str, Any]:
    return {"target": clock.target, "label": LABELS[clock.target], "state": clock.state, "text": _phrase(clock),
            "css": _css(clock), "due_at": clock.due_at, "breached_at": clock.breached_at, "met_at": clock.met_at}


def sla_lines(ticket: Any, now: datetime) -> list[dict[str, Any]]:
    """One line per target for the ticket page (none when no policy applies)."""
    clocks = sla_clock(ticket, now) or {}
    return [target_line(clock) for clock in clocks.values()]


def sla_cell(ticket: Any, now: datetime) -> dict[str, Any] | None:
    """The one phrase a list row shows: the target that needs attention first.

    A running breach comes first, then the nearest running or paused target; once both
    are met, the resolution's outcome (met or missed).
    """
    clocks = list((sla_clock(ticket, now) or {}).values())
    if not clocks:
        return None
    open_clocks = [clock for clock in clocks if not clock.met]
    if open_clocks:
        chosen = min(open_clocks, key=lambda clock: clock.seconds_left if clock.seconds_left is not None else 0)
    else:
        chosen = next((clock for clock in clocks if clock.breached), clocks[-1])
    return target_line(chosen)
