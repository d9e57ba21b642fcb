"""The dashboard's figures over time and by group, as its page, CSV and JSON show them.

The hub computes them (hub.sdk.tracker.trend_figures: one grouped query per figure); this
module adds groups and buckets up (weighted means, exact: each mean comes with its count),
rounds, and prices the period's tickets with the cost per kind an admin set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hub.sdk import tracker
from hub.sdk.values import ServicePoint, TrendFigures
from plugins.insights.settings import COSTED_KINDS, NAME

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: What the service figures may be grouped by, as the page's selector names them.
GROUPINGS = {"customer": "Customer", "organisation": "Organisation", "department": "Department",
             "category": "Category", "service": "Service"}
#: Groups the breakdown table lists (the rest are in the JSON), and lines a chart draws.
LISTED, LINES = 20, 5


def trends(session: Session, *, start: dt.datetime, end: dt.datetime, department: str | None, grouping: str,
           ci_name: str | None) -> dict[str, Any]:
    """Everything the dashboard shows over time and by group for tickets created in [start, end)."""
    found = tracker.trend_figures(session, start=start, end=end, department=department, grouping=grouping,
                                  ci_name=ci_name)
    return shown(found, tracker.plugin_settings(session, NAME))


def shown(found: TrendFigures, settings: dict[str, Any]) -> dict[str, Any]:
    """The figures as the JSON API gives them under ``trends``."""
    buckets = sorted({point.bucket for point in found.service})
    by_group: dict[str | None, list[ServicePoint]] = {}
    for point in found.service:
        by_group.setdefault(point.group, []).append(point)
    groups = [{"name": name, **_summed(points), "series": [{"bucket": point.bucket, **_summed([point])}
                                                          for point in points]}
              for name, points in by_group.items()]
    groups.sort(key=lambda group: (-group["tickets"], group["name"] is None, group["name"] or ""))
    series = [{"bucket": bucket, **_summed([p for p in found.service if p.bucket == bucket])} for bucket in buckets]
    faults: dict[str, list[list[Any]]] = {}
    for item, bucket, incidents, occurrences in found.ci_faults:
        faults.setdefault(item, []).append([bucket, incidents, occurrences])
    return {
        "bucket": found.bucket, "buckets": every_bucket(found.start, found.end, found.bucket),
        "grouping": found.grouping, "series": series, "groups": groups,
        "ci_faults": [{"item": item, "series": points} for item, points in faults.items()],
        "changes": {"by_outcome": found.change_outcomes, "caused_incidents": found.caused_incidents,
                    "top_causes": [{"ref": ref, "title": title, "incidents": count}
                                   for ref, title, count in found.causing_changes]},
        "problems_by_period": [list(row) for row in found.problems],
        "cost": cost(found.tickets_by_kind, settings),
    }


def every_bucket(start: dt.datetime, end: dt.datetime, bucket: str) -> list[str]:
    """Every day (``2026-11-23``) or month (``2026-11``) of [start, end), as the figures name them."""
    first, last = start.date(), (end - dt.timedelta(microseconds=1)).date()
    if bucket == "day":
        return [str(first + dt.timedelta(days=days)) for days in range((last - first).days + 1)]
    months = (last.year - first.year) * 12 + last.month - first.month
    return [f"{first.year + (first.month - 1 + step) // 12}-{(first.month - 1 + step) % 12 + 1:02d}"
            for step in range(months + 1)]


def _summed(points: Iterable[ServicePoint]) -> dict[str, Any]:
    """Tickets, and the means over them as the KPIs round them (min, h), of some points."""
    points = list(points)
    answers = sum(point.csat_answers for point in points)
    responded = sum(point.responded for point in points)
    resolved = sum(point.resolved for point in points)
    return {
        "tickets": sum(point.tickets for point in points),
        "csat_average": _mean([(p.csat_average, p.csat_answers) for p in points], answers, 1, 2),
        "csat_answers": answers,
        "response_minutes": _mean([(p.response_seconds, p.responded) for p in points], responded, 60, 1),
        "resolution_hours": _mean([(p.resolve_seconds, p.resolved) for p in points], resolved, 3600, 2),
    }


def _mean(weighted: list[tuple[float | None, int]], count: int, unit: float, digits: int) -> float | None:
    if not count:
        return None
    return round(sum((value or 0.0) * weight for value, weight in weighted) / count / unit, digits)


def cost(tickets_by_kind: dict[str, int], settings: dict[str, Any]) -> dict[str, Any]:
    """The period's tickets of each kind times the cost an admin set for one (0: not costed)."""
    per_kind = {}
    for kind in COSTED_KINDS:
        each = float(settings.get(f"cost_{kind}") or 0.0)
        tickets = tickets_by_kind.get(kind, 0)
        per_kind[kind] = {"tickets": tickets, "cost_each": each, "cost": round(each * tickets, 2)}
    return {"currency": settings.get("currency") or "", "per_kind": per_kind,
            "total": round(sum(entry["cost"] for entry in per_kind.values()), 2),
            "set": any(entry["cost_each"] for entry in per_kind.values())}


def top_lines(groups: list[dict[str, Any]], measure: str) -> dict[str, list[tuple[str, float | None]]]:
    """The LINES largest groups with a value of ``measure``, as a line chart's series."""
    with_values = [group for group in groups if group[measure] is not None][:LINES]
    return {("(none)" if group["name"] is None else str(group["name"])):
            [(point["bucket"], point[measure]) for point in group["series"]] for group in with_values}
