"""Business-hours arithmetic: when does a target of N working minutes fall due?

A calendar is a time zone, opening hours per weekday and a list of holidays. Time is
counted only while the calendar is open, in its own zone, so a target set at 17:55 on a
Friday with 9-17 hours starts counting at 09:00 on Monday, and a daylight-saving change
moves nothing but the wall clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3660  # a target never spans more than ten years of calendar days


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    hours: dict[int, tuple[dt.time, dt.time]]
    """Weekday (0 = Monday) to opening and closing time; closed days are absent."""
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    _spans: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = field(
        default_factory=dict, init=False, compare=False, repr=False)
    """Each local day's open spans, worked out once: every new ticket asks about the same days."""

    @classmethod
    def always(cls) -> BusinessCalendar:
        return cls(ZoneInfo("UTC"), {day: (dt.time(0), dt.time.max) for day in range(7)})

    @classmethod
    def from_settings(cls, data: dict[str, Any]) -> BusinessCalendar:
        """From settings like {"timezone": "Europe/Berlin", "hours": {"mon": "09:00-17:00"}, "holidays": [...]}."""
        hours: dict[int, tuple[dt.time, dt.time]] = {}
        for name, span in dict(data.get("hours") or dict.fromkeys(DAYS, "00:00-24:00")).items():
            if span:
                opening, closing = str(span).split("-")
                # "24:00" (and a closing "00:00") mean the end of the day.
                end = dt.time.max if closing in ("24:00", "00:00") else dt.time.fromisoformat(closing)
                hours[DAYS.index(name)] = (dt.time.fromisoformat(opening), end)
        holidays = frozenset(dt.date.fromisoformat(str(day)) for day in data.get("holidays") or [])
        return cls(ZoneInfo(str(data.get("timezone") or "UTC")), hours, holidays)

    def _open_spans(self, start: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open periods of the local day of ``start``, as aware datetimes."""
        day = start.astimezone(self.zone).date()
        spans = self._spans.get(day)
        if spans is None:
            spans = self._spans[day] = self._spans_of(day)
        return spans

    def _spans_of(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if day in self.holidays or day.weekday() not in self.hours:
            return []
        opening, closing = self.hours[day.weekday()]
        begin = dt.datetime.combine(day, opening, self.zone)
        end = (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), self.zone) if closing == dt.time.max
               else dt.datetime.combine(day, closing, self.zone))
        # Arithmetic in UTC: Python adds and subtracts aware datetimes of one zone on the
        # wall clock, which would make a daylight-saving day 24 hours long.
        begin, end = begin.astimezone(dt.UTC), end.astimezone(dt.UTC)
        return [(begin, end)] if end > begin else []

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment when ``minutes`` of open time have passed since ``start``."""
        if not self.hours:
            raise ValueError("the calendar is never open")
        left = dt.timedelta(minutes=minutes)
        cursor = start.astimezone(dt.UTC)
        for _ in range(MAX_DAYS):
            for begin, end in self._open_spans(cursor):
                begin = max(begin, cursor)
                if begin >= end:
                    continue
                if begin + left <= end:
                    return (begin + left).astimezone(dt.UTC)
                left -= end - begin
            local = cursor.astimezone(self.zone)
            cursor = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), self.zone).astimezone(dt.UTC)
        raise ValueError("the target does not fall due within ten years of open time")

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open minutes from ``start`` to ``end`` (0 when end is not after start)."""
        total = dt.timedelta()
        cursor, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        for _ in range(MAX_DAYS):
            if cursor >= end:
                break
            for begin, close in self._open_spans(cursor):
                lo, hi = max(begin, cursor), min(close, end)
                if hi > lo:
                    total += hi - lo
            local = cursor.astimezone(self.zone)
            cursor = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), self.zone).astimezone(dt.UTC)
        return total.total_seconds() / 60
