"""hub.sdk.tracker.ticket_figures and departments: a report's aggregates as plain SDK values,
each figure checked against tickets with known times (on SQLite, and on PostgreSQL when
HUB_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from hub.models import Category, ConfigurationItem, Department, Ticket
from hub.sdk import tracker
from hub.sdk.values import TicketFigures

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.fixture
def hub(runtime: Any) -> Any:
    runtime.clock = lambda: NOW
    return runtime


def add(session: Any, number: int, created: dt.datetime, **values: Any) -> Ticket:
    ticket = Ticket(kind=values.pop("kind", "incident"), number=number, ref=f"INC-{number:06d}",
                    title=f"Ticket {number}", status=values.pop("status", "resolved"), priority=3,
                    source=values.pop("source", "api"), created_at=created, updated_at=created, **values)
    session.add(ticket)
    return ticket


def figures(hub: Any, **period: Any) -> TicketFigures:
    with hub.db.reading() as session:
        return tracker.ticket_figures(session, start=period.pop("start", START), end=period.pop("end", END), **period)


@pytest.fixture
def org(hub: Any) -> dict[str, Any]:
    with hub.db.transaction() as session:
        made = {"kitchen": Department(slug="kitchen", name="Kitchen"),
                "kitchen-2": Department(slug="kitchen-2", name="Kitchen"),  # the same name: counted together
                "lobby": Department(slug="lobby", name="Lobby"),
                "food": Category(slug="food", name="Food"),
                "filler": ConfigurationItem(key="filler-1", name="Filler 1", kind="machine"),
                "oven": ConfigurationItem(key="oven-1", name="Oven 1", kind="machine")}
        session.add_all(made.values())
        session.flush()
        return {name: record.id for name, record in made.items()}


def test_totals_shares_and_means(hub: Any, org: dict[str, Any]) -> None:
    day = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
    with hub.db.transaction() as session:
        # Acknowledged after 10 and 30 minutes (the second by its first response): mean 20.
        add(session, 1, day, acknowledged_at=day + dt.timedelta(minutes=10), resolved_at=day + dt.timedelta(hours=2),
            response_due_at=day + dt.timedelta(minutes=15), first_response_at=day + dt.timedelta(minutes=12),
            resolve_due_at=day + dt.timedelta(hours=4), csat_score=5, csat_comment="Quick")
        add(session, 2, day, first_response_at=day + dt.timedelta(minutes=30), resolved_at=day + dt.timedelta(hours=6),
            response_due_at=day + dt.timedelta(minutes=15), resolve_due_at=day + dt.timedelta(hours=4), csat_score=2)
        # Open, due in the past: judged (missed); open and due later: not judged yet.
        add(session, 3, day, status="in_progress", resolve_due_at=NOW - dt.timedelta(hours=1))
        add(session, 4, day, status="in_progress", resolve_due_at=NOW + dt.timedelta(hours=1))
        # Unanswered: past its response due time (a miss), and not yet due (not judged yet).
        add(session, 7, day, status="new", response_due_at=NOW - dt.timedelta(minutes=5))
        add(session, 8, day, status="new", response_due_at=NOW + dt.timedelta(minutes=5))
        add(session, 5, START - dt.timedelta(seconds=1), acknowledged_at=START)  # before the period
        add(session, 6, END, acknowledged_at=END)  # the period's end is excluded
    found = figures(hub)
    assert found.tickets == 6
    assert found.acknowledge_seconds == pytest.approx(20 * 60)
    assert found.resolve_seconds == pytest.approx(4 * 3600)
    assert (found.response_met, found.response_total) == (1, 3)  # ticket 8 is not due yet: no miss
    assert (found.resolution_met, found.resolution_total) == (1, 3)
    assert (found.csat_average, found.csat_answers) == (pytest.approx(3.5), 2)
    assert found.csat_comments == [("INC-000001", 5, "Quick")]
    assert (found.start, found.end, found.department) == (START, END, None)


def test_an_empty_period_has_no_means_and_zero_counts(hub: Any) -> None:
    found = figures(hub)
    assert found.tickets == 0
    assert (found.acknowledge_seconds, found.resolve_seconds, found.csat_average) == (None, None, None)
    assert (found.response_total, found.resolution_total, found.csat_answers) == (0, 0, 0)
    assert found.by_day == found.by_source == found.by_department == found.recurring_keys == []
    assert found.backlog == (0, 0, 0, 0)


def test_the_backlog_counts_open_tickets_of_any_age_by_age(hub: Any) -> None:
    with hub.db.transaction() as session:
        ages = [dt.timedelta(hours=23, minutes=59), dt.timedelta(days=1),  # under a day; exactly one is 1-7
                dt.timedelta(days=6), dt.timedelta(days=29, hours=23), dt.timedelta(days=30), dt.timedelta(days=400)]
        for number, age in enumerate(ages, 1):
            add(session, number, NOW - age, status="new")
        add(session, 20, NOW - dt.timedelta(days=2), status="resolved")  # not open
        add(session, 21, NOW - dt.timedelta(days=2), status="draft", kind="change")
    found = figures(hub, start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), end=dt.datetime(2020, 1, 2, tzinfo=dt.UTC))
    assert found.tickets == 0  # the period is long past: the backlog is counted all the same
    assert found.backlog == (1, 3, 1, 2)


def test_volumes_by_day_source_department_and_category(hub: Any, org: dict[str, Any]) -> None:
    late = dt.datetime(2026, 11, 3, 23, 30, tzinfo=dt.UTC)
    with hub.db.transaction() as session:
        add(session, 1, late, source="email", department_id=org["kitchen"], category_id=org["food"])
        add(session, 2, late + dt.timedelta(hours=1), source="email", department_id=org["kitchen-2"])
        add(session, 3, late + dt.timedelta(hours=2), source="webform", department_id=org["lobby"])
        add(session, 4, late + dt.timedelta(days=2), source="api", department_id=org["lobby"])
        add(session, 5, late + dt.timedelta(days=2), source="api")
        add(session, 6, late + dt.timedelta(days=2), source="webform")
    found = figures(hub)
    assert found.by_day == [("2026-11-03", 1), ("2026-11-04", 2), ("2026-11-05", 3)]  # UTC days
    assert found.by_source == [("api", 2), ("email", 2), ("webform", 2)]  # equal counts by name
    assert found.by_department == [("Kitchen", 2), ("Lobby", 2), ("(none)", 2)]  # the unnamed last
    assert found.by_category == [("(none)", 5), ("Food", 1)]


def test_a_department_limits_the_period_and_the_backlog(hub: Any, org: dict[str, Any]) -> None:
    day = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    with hub.db.transaction() as session:
        add(session, 1, day, department_id=org["lobby"], status="new")
        add(session, 2, day, department_id=org["kitchen"], status="new")
        add(session, 3, day, status="new")
    lobby = figures(hub, department="lobby")
    assert (lobby.tickets, lobby.backlog, lobby.by_department, lobby.department) == (1, (0, 0, 1, 0), [("Lobby", 1)],
                                                                                     "lobby")
    nowhere = figures(hub, department="no-such-department")
    assert (nowhere.tickets, nowhere.backlog, nowhere.by_day) == (0, (0, 0, 0, 0), [])


def test_what_recurs_most_and_the_newest_comments_ten_at_most(hub: Any, org: dict[str, Any]) -> None:
    day = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    with hub.db.transaction() as session:
        add(session, 1, day, ci_id=org["filler"], occurrence_count=7, correlation_key="plant/line1/E42")
        add(session, 2, day, ci_id=org["filler"], occurrence_count=2, correlation_key="plant/line1/E42")
        add(session, 3, day, ci_id=org["oven"], occurrence_count=20, correlation_key="plant/line2/E7")
        for number in range(10, 23):
            add(session, number, day + dt.timedelta(minutes=number), correlation_key=f"key-{number}",
                csat_score=4, csat_comment=f"Comment {number}")
        add(session, 30, START - dt.timedelta(days=1), correlation_key="plant/line2/E7", occurrence_count=99)
    found = figures(hub)
    assert found.recurring_items == [("Oven 1", 1, 20), ("Filler 1", 2, 9)]
    assert found.recurring_keys[:2] == [("plant/line2/E7", 1, 20), ("plant/line1/E42", 2, 9)]
    assert len(found.recurring_keys) == 10 and found.recurring_keys[2] == ("key-10", 1, 1)  # then by key
    assert [ref for ref, _, _ in found.csat_comments] == [f"INC-{number:06d}" for number in range(22, 12, -1)]


def test_the_figures_are_plain_values(hub: Any, org: dict[str, Any]) -> None:
    with hub.db.transaction() as session:
        add(session, 1, dt.datetime(2026, 11, 10, tzinfo=dt.UTC), department_id=org["lobby"], csat_score=3,
            csat_comment="Fine", ci_id=org["oven"], correlation_key="k", acknowledged_at=NOW)
    found = figures(hub)
    assert isinstance(found, TicketFigures)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.tickets = 2  # type: ignore[misc]
    plain = dataclasses.asdict(found)
    json.dumps(plain, default=lambda value: value.isoformat())  # nothing but numbers, strings, lists and times
    assert all(type(value) in (int, float) for value in (found.tickets, found.acknowledge_seconds, found.csat_average))


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        if args[2].startswith(("SELECT", "WITH")):  # not SQLite's BEGIN
            seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_one_pass_over_the_tickets_and_a_few_index_lookups(hub: Any, org: dict[str, Any]) -> None:
    with hub.db.transaction() as session:
        for number in range(1, 40):
            add(session, number, START + dt.timedelta(hours=number), department_id=org["lobby"],
                category_id=org["food"], status="new")
    with hub.db.reading() as session, statements(hub.db.read_engine) as seen:
        tracker.ticket_figures(session, start=START, end=END)
    # The pass, department and category names, recurring items, alarm keys, comments, and the
    # problems' counts (an index range over kind = 'problem'): however many tickets (eleven
    # scans of the period before).
    assert len(seen) == 7, seen
    assert sum("FROM tickets" in statement for statement in seen) == 5


def test_departments_by_slug(hub: Any, org: dict[str, Any]) -> None:
    with hub.db.reading() as session:
        assert tracker.departments(session) == [("kitchen", "Kitchen"), ("kitchen-2", "Kitchen"), ("lobby", "Lobby")]
