"""Business-hours arithmetic across nights, weekends, holidays and a daylight-saving change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.sla.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar.from_settings({"timezone": "Europe/Berlin", "holidays": ["2026-12-25", "2026-12-28"],
                                         "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")})


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize(("start", "minutes", "due"), [
    ("2026-11-20 17:55", 60, "2026-11-23 10:00"),    # Friday after hours: Monday 9:00 + 1 h
    ("2026-11-20 16:30", 60, "2026-11-23 09:30"),    # half an hour on Friday, half on Monday
    ("2026-11-23 10:00", 480, "2026-11-24 10:00"),   # a full working day later
    ("2026-11-21 11:00", 30, "2026-11-23 09:30"),    # Saturday counts nothing
    ("2026-12-24 16:00", 120, "2026-12-29 10:00"),   # Christmas and the Monday after are holidays
    ("2026-11-23 03:00", 15, "2026-11-23 09:15"),    # a night
])
def test_due_times(start: str, minutes: int, due: str) -> None:
    assert OFFICE.add(at(start), minutes) == at(due).astimezone(dt.UTC)


def test_daylight_saving_moves_only_the_wall_clock() -> None:
    # 29 March 2026: clocks go forward at 02:00 in Berlin. A 24 x 7 target in Berlin is
    # 24 real hours later, whatever the wall clock says.
    always = BusinessCalendar.from_settings({"timezone": "Europe/Berlin"})
    start = at("2026-03-28 12:00")
    assert always.add(start, 24 * 60) - start.astimezone(dt.UTC) == dt.timedelta(hours=24)
    # Office hours are wall-clock hours: Friday 16:00 + 2 h is Monday 10:00 either side of it.
    assert OFFICE.add(at("2026-03-27 16:00"), 120) == at("2026-03-30 10:00").astimezone(dt.UTC)


def test_minutes_between_counts_open_time_only() -> None:
    assert OFFICE.minutes_between(at("2026-11-20 16:00"), at("2026-11-23 10:00")) == 120
    assert OFFICE.minutes_between(at("2026-11-23 10:00"), at("2026-11-23 09:00")) == 0


@given(st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)),
       st.integers(min_value=1, max_value=20_000))
def test_adding_then_measuring_gives_the_minutes_back(start: dt.datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=BERLIN, microsecond=0)
    due = OFFICE.add(begin, minutes)
    assert OFFICE.minutes_between(begin, due) == pytest.approx(minutes)


def test_a_calendar_is_kept_while_its_settings_last() -> None:
    from plugins.sla.engine import calendar_of

    entry = {"name": "office", "timezone": "Europe/Berlin", "holidays": ["2026-12-25"],
             "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")}
    first = calendar_of({"calendars": [entry]}, "office")
    assert calendar_of({"calendars": [dict(entry)]}, "office") is first  # equal settings: the same calendar
    friday = at("2026-11-20 16:30")
    assert first.add(friday, 60) == first.add(friday, 60) == at("2026-11-23 09:30").astimezone(dt.UTC)
    # Edited hours are a calendar of their own: the remembered days of the old one do not leak.
    longer = calendar_of({"calendars": [{**entry, "hours": {**entry["hours"], "fri": "09:00-18:00"}}]}, "office")
    assert longer is not first and longer.add(friday, 60) == at("2026-11-20 17:30").astimezone(dt.UTC)
    assert calendar_of({"calendars": [entry]}, "elsewhere").add(friday, 60) == (friday + dt.timedelta(hours=1))
