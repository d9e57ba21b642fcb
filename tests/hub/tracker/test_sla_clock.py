"""The SLA clock read from a ticket row: every state, the edge cases, and the filters' SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from hub.tracker.sla_clock import present_sla, sla_clock, sla_condition, target_clock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def row(**values: Any) -> Any:
    base = {"status": "in_progress", "response_due_at": None, "resolve_due_at": None, "response_breached_at": None,
            "resolve_breached_at": None, "sla_paused_at": None, "first_response_at": None, "resolved_at": None,
            "closed_at": None, "updated_at": NOW - timedelta(hours=1)}
    return SimpleNamespace(**{**base, **values})


def test_no_due_time_no_clock() -> None:
    assert sla_clock(row(), NOW) is None and present_sla(row(), NOW) is None


def test_running_with_time_left_and_due_soon_within_the_hour() -> None:
    clock = target_clock(row(resolve_due_at=NOW + timedelta(minutes=40)), "resolution", NOW)
    assert clock is not None
    assert (clock.state, clock.seconds_left, clock.due_soon, clock.breached) == ("running", 2400, True, False)
    later = target_clock(row(resolve_due_at=NOW + timedelta(hours=3)), "resolution", NOW)
    assert later is not None and later.due_soon is False


def test_overdue_is_a_breach_before_the_plugin_records_it() -> None:
    clock = target_clock(row(response_due_at=NOW - timedelta(minutes=5)), "response", NOW)
    assert clock is not None
    assert clock.state == "breached" and clock.seconds_left == -300 and clock.breached_at == NOW - timedelta(minutes=5)


def test_paused_freezes_the_time_left() -> None:
    ticket = row(status="on_hold", resolve_due_at=NOW + timedelta(minutes=30), sla_paused_at=NOW - timedelta(hours=2))
    clock = target_clock(ticket, "resolution", NOW)
    assert clock is not None
    assert (clock.state, clock.paused, clock.seconds_left) == ("paused", True, 9000)  # 2 h 30 min, not 30 min
    past = target_clock(ticket, "resolution", NOW + timedelta(hours=5))
    assert past is not None and past.state == "paused"  # still paused, never breached while the clock stands


def test_met_in_time_late_and_a_recorded_breach_stays_after_the_answer() -> None:
    due = NOW - timedelta(hours=1)
    in_time = target_clock(row(response_due_at=due, first_response_at=due - timedelta(minutes=1)), "response", NOW)
    late = target_clock(row(response_due_at=due, first_response_at=due + timedelta(minutes=1)), "response", NOW)
    recorded = target_clock(row(response_due_at=NOW + timedelta(hours=1), response_breached_at=due,
                                first_response_at=NOW), "response", NOW)
    assert in_time is not None and (in_time.state, in_time.met, in_time.seconds_left) == ("met", True, None)
    assert late is not None and (late.state, late.met, late.breached) == ("breached", True, True)
    assert recorded is not None and recorded.state == "breached" and recorded.breached_at == due


def test_resolution_met_by_the_resolved_state_and_response_by_it_too() -> None:
    ticket = row(status="resolved", resolved_at=NOW - timedelta(minutes=10), response_due_at=NOW - timedelta(hours=2),
                 resolve_due_at=NOW + timedelta(hours=2))
    clocks = sla_clock(ticket, NOW)
    assert clocks is not None
    assert clocks["resolution"].state == "met"
    assert clocks["response"].state == "breached"  # resolved after the answer was due, never answered before
    naive = row(resolve_due_at=(NOW + timedelta(hours=2)).replace(tzinfo=None))  # SQLite hands back naive UTC
    clock = target_clock(naive, "resolution", NOW)
    assert clock is not None and clock.seconds_left == 7200


def test_unknown_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="breached, due_soon"):
        sla_condition("late", NOW)
