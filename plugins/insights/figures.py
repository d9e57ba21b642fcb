"""The dashboard's figures as its page, CSV and JSON show them.

The hub computes them (hub.sdk.tracker.ticket_figures: aggregate queries, a few passes
over the period's tickets however many there are); this module only rounds and labels.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hub.sdk import tracker
from hub.sdk.values import TicketFigures

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Labels of the backlog's ages, in the order TicketFigures.backlog counts them.
AGE_BUCKETS = ("under 1 day", "1-7 days", "7-30 days", "over 30 days")


def figures(session: Session, *, start: dt.datetime, end: dt.datetime, department: str | None) -> dict[str, Any]:
    """Everything the dashboard shows for tickets created in [start, end)."""
    return shown(tracker.ticket_figures(session, start=start, end=end, department=department))


def shown(found: TicketFigures) -> dict[str, Any]:
    """The figures as the JSON API has always given them."""
    return {
        "period": {"start": found.start.isoformat(), "end": found.end.isoformat(), "department": found.department},
        "tickets": found.tickets,
        "mtta_minutes": _rounded(found.acknowledge_seconds, 60, 1),
        "mttr_hours": _rounded(found.resolve_seconds, 3600, 2),
        "sla": {"response": _share(found.response_met, found.response_total),
                "resolution": _share(found.resolution_met, found.resolution_total)},
        "backlog": dict(zip(AGE_BUCKETS, found.backlog, strict=True)),
        "volume": {"by_day": found.by_day, "by_source": found.by_source, "by_department": found.by_department,
                   "by_category": found.by_category},
        "csat": {"average": _rounded(found.csat_average, 1, 2), "answers": found.csat_answers,
                 "comments": [{"ref": ref, "score": score, "comment": text}
                              for ref, score, text in found.csat_comments]},
        "recurring": {"configuration_items": found.recurring_items, "alarm_keys": found.recurring_keys},
        "problems": {"opened": found.problems_opened, "resolved": found.problems_resolved,
                     "known_errors": found.known_errors},
    }


def _rounded(value: float | None, unit: float, digits: int) -> float | None:
    return round(value / unit, digits) if value is not None else None


def _share(met: int, total: int) -> dict[str, Any]:
    return {"met": met, "total": total, "percent": round(100 * met / total, 1) if total else None}
