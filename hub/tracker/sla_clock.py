"""The SLA clocks of a ticket, read from what the ticket row stores.

The SLA plugin decides the due times (policies, business hours, pauses) and records on the
ticket what it decided: ``response_due_at`` and ``resolve_due_at``, each missed due time once
(``*_breached_at``), and when the clocks stopped (``sla_paused_at``). Everything shown here
(time left, paused, breached, met) follows from those columns, the lifecycle timestamps and
the clock, so a list of fifty rows needs no query beyond the rows, and the ``sla=breached``
and ``sla=due_soon`` filters are plain indexed conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_

from hub.models import Ticket
from hub.tracker.states import MACHINES

TARGETS = ("response", "resolution")
DUE_SOON = timedelta(hours=1)
"""A running target due within this long is "due soon" (the ``sla=due_soon`` filter)."""
SLA_FILTERS = ("breached", "due_soon")
OPEN_STATES = frozenset().union(*(machine.open_states for machine in MACHINES.values()))

_COLUMNS = {"response": ("response_due_at", "response_breached_at"),
            "resolution": ("resolve_due_at", "resolve_breached_at")}


@dataclass(frozen=True)
class TargetClock:
    """One target (response or resolution) as an agent reads it."""

    target: str
    due_at: datetime | None
    state: str
    """``running``, ``paused``, ``met`` or ``breached`` (a breach stays, even once met)."""
    seconds_left: int | None
    """Until the due time (negative once overdue); frozen while paused; None once met."""
    paused: bool
    breached: bool
    breached_at: datetime | None
    """The due time that was missed."""
    met: bool
    met_at: datetime | None
    due_soon: bool

    def as_dict(self) -> dict[str, Any]:
        return {"due_at": self.due_at, "state": self.state, "seconds_left": self.seconds_left, "paused": self.paused,
                "breached": self.breached, "breached_at": self.breached_at, "met": self.met, "met_at": self.met_at,
                "due_soon": self.due_soon}


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _met_at(ticket: Any, target: str) -> datetime | None:
    """When the target was met, or None while it is not."""
    done = ticket.status not in OPEN_STATES
    finished = _aware(ticket.resolved_at or ticket.closed_at or (ticket.updated_at if done else None))
    if target == "response":
        return _aware(ticket.first_response_at) or (finished if done else None)
    return finished if done else None


def target_clock(ticket: Any, target: str, now: datetime) -> TargetClock | None:
    """The clock of one target; None when no policy gave it a due time and it was never missed."""
    due_column, breach_column = _COLUMNS[target]
    due_at, breached_at = _aware(getattr(ticket, due_column)), _aware(getattr(ticket, breach_column))
    if due_at is None and breached_at is None:
        return None
    paused_at = _aware(ticket.sla_paused_at)
    met_at = _met_at(ticket, target)
    met = met_at is not None
    paused = paused_at is not None and not met
    if breached_at is None and due_at is not None:
        # The plugin records a breach when its timer fires; until then (or with the plugin
        # off) a missed due time is still a breach.
        reached = met_at if met else (paused_at if paused else now)
        if reached is not None and reached > due_at:
            breached_at = due_at
    seconds_left = None
    if not met and due_at is not None:
        seconds_left = int(((due_at - paused_at) if paused and paused_at else (due_at - now)).total_seconds())
    breached = breached_at is not None
    state = "breached" if breached else "met" if met else "paused" if paused else "running"
    due_soon = state == "running" and seconds_left is not None and 0 <= seconds_left <= DUE_SOON.total_seconds()
    return TargetClock(target=target, due_at=due_at, state=state, seconds_left=seconds_left, paused=paused,
                       breached=breached, breached_at=breached_at, met=met, met_at=met_at, due_soon=due_soon)


def sla_clock(ticket: Any, now: datetime) -> dict[str, TargetClock] | None:
    """Both clocks of a ticket (``{"response": ..., "resolution": ...}``), or None without any."""
    clocks = {target: clock for target in TARGETS if (clock := target_clock(ticket, target, now)) is not None}
    return clocks or None


def present_sla(ticket: Any, now: datetime) -> dict[str, Any] | None:
    """The ``sla`` member of a ticket in the API."""
    clocks = sla_clock(ticket, now)
    if clocks is None:
        return None
    return {target: clocks[target].as_dict() if target in clocks else None for target in TARGETS}


def sla_condition(which: str, now: datetime) -> Any:
    """The WHERE clause of ``sla=breached`` or ``sla=due_soon``.

    Breached: a breach recorded, or an open, running ticket past a due time it has not met
    (the plugin's timer may not have fired yet). Due soon: an open, running ticket with an
    unmet due time within the next hour. Both use the due-time and breach indexes.
    """
    running = and_(Ticket.status.in_(sorted(OPEN_STATES)), Ticket.sla_paused_at.is_(None))
    if which == "breached":
        overdue = or_(and_(Ticket.first_response_at.is_(None), Ticket.response_due_at < now),
                      Ticket.resolve_due_at < now)
        return or_(Ticket.sla_breached_at.is_not(None), and_(running, overdue))
    if which == "due_soon":
        soon = now + DUE_SOON
        return and_(running, or_(and_(Ticket.first_response_at.is_(None), Ticket.response_due_at >= now,
                                      Ticket.response_due_at <= soon),
                                 and_(Ticket.resolve_due_at >= now, Ticket.resolve_due_at <= soon)))
    raise ValueError(f"sla must be one of {', '.join(SLA_FILTERS)}, not {which!r}")
