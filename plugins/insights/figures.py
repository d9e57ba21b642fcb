"""The dashboard's figures, each one aggregate query (GROUP BY in the database, no Python
loops over tickets), so they stay fast at a million tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from hub.sdk.services import Category, ConfigurationItem, Department, Ticket

OPEN = ("new", "acknowledged", "in_progress", "on_hold", "draft", "submitted", "assessment", "approved",
        "scheduled", "implementing", "review")
AGE_BUCKETS = (("under 1 day", 1), ("1-7 days", 7), ("7-30 days", 30), ("over 30 days", None))


def _seconds(session: Session, later: Any, earlier: Any) -> Any:
    """``later - earlier`` in seconds, in this database's SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _day(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def figures(session: Session, *, start: dt.datetime, end: dt.datetime, department: str | None,
            now: dt.datetime) -> dict[str, Any]:
    """Everything the dashboard shows for tickets created in [start, end)."""
    scope = [Ticket.created_at >= start, Ticket.created_at < end]
    if department:
        scope.append(Ticket.department_id == select(Department.id).where(Department.slug == department)
                     .scalar_subquery())
    period = and_(*scope)
    ack = func.coalesce(Ticket.acknowledged_at, Ticket.first_response_at)
    mtta, mttr, created = session.execute(select(
        func.avg(case((ack.is_not(None), _seconds(session, ack, Ticket.created_at)))),
        func.avg(case((Ticket.resolved_at.is_not(None), _seconds(session, Ticket.resolved_at, Ticket.created_at)))),
        func.count(Ticket.id)).where(period)).one()
    response_met, response_total, resolution_met, resolution_total = session.execute(select(
        func.sum(case((and_(Ticket.first_response_at.is_not(None), Ticket.first_response_at <= Ticket.response_due_at),
                       1), else_=0)),
        func.count(Ticket.response_due_at),
        func.sum(case((and_(Ticket.resolved_at.is_not(None), Ticket.resolved_at <= Ticket.resolve_due_at), 1),
                      else_=0)),
        func.count(case((and_(Ticket.resolve_due_at.is_not(None),
                              (Ticket.resolved_at.is_not(None)) | (Ticket.resolve_due_at < now)), 1)))).where(period)
    ).one()
    csat_avg, csat_count = session.execute(select(func.avg(cast(Ticket.csat_score, Float)),
                                                  func.count(Ticket.csat_score)).where(period)).one()
    age = _seconds(session, now, Ticket.created_at) / 86400.0
    bucket = case(*[(age < limit, label) for label, limit in AGE_BUCKETS if limit], else_=AGE_BUCKETS[-1][0])
    backlog_scope = [Ticket.status.in_(OPEN)] + ([scope[2]] if department else [])
    backlog: dict[str, int] = {str(label): int(count) for label, count in session.execute(
        select(bucket, func.count()).where(*backlog_scope).group_by(bucket))}

    def by(column: Any, join: Any = None, on: Any = None) -> list[tuple[str, int]]:
        query = select(func.coalesce(column, "(none)"), func.count(Ticket.id)).select_from(Ticket)
        if join is not None:
            query = query.outerjoin(join, on)
        rows = session.execute(query.where(period).group_by(column).order_by(func.count(Ticket.id).desc(), column))
        return [(str(name), int(count)) for name, count in rows]

    day = _day(session, Ticket.created_at)
    per_day = [(str(name), int(count)) for name, count in session.execute(
        select(day, func.count(Ticket.id)).where(period).group_by(day).order_by(day))]
    recurring = [(str(key), int(tickets), int(occurrences or 0)) for key, tickets, occurrences in session.execute(
        select(ConfigurationItem.name, func.count(Ticket.id), func.sum(Ticket.occurrence_count))
        .join(ConfigurationItem, ConfigurationItem.id == Ticket.ci_id).where(period)
        .group_by(ConfigurationItem.name).order_by(func.sum(Ticket.occurrence_count).desc(), ConfigurationItem.name)
        .limit(10))]
    codes = [(str(key), int(tickets), int(occurrences or 0)) for key, tickets, occurrences in session.execute(
        select(Ticket.correlation_key, func.count(Ticket.id), func.sum(Ticket.occurrence_count))
        .where(period, Ticket.correlation_key.is_not(None)).group_by(Ticket.correlation_key)
        .order_by(func.sum(Ticket.occurrence_count).desc(), Ticket.correlation_key).limit(10))]
    comments = [{"ref": ref, "score": score, "comment": text} for ref, score, text in session.execute(
        select(Ticket.ref, Ticket.csat_score, Ticket.csat_comment)
        .where(period, Ticket.csat_comment.is_not(None)).order_by(Ticket.id.desc()).limit(10))]
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat(), "department": department},
        "tickets": int(created),
        "mtta_minutes": round(float(mtta) / 60, 1) if mtta is not None else None,
        "mttr_hours": round(float(mttr) / 3600, 2) if mttr is not None else None,
        "sla": {"response": _share(response_met, response_total), "resolution": _share(resolution_met,
                                                                                        resolution_total)},
        "backlog": {label: int(backlog.get(label, 0)) for label, _ in AGE_BUCKETS},
        "volume": {"by_day": per_day, "by_source": by(Ticket.source),
                   "by_department": by(Department.name, Department, Department.id == Ticket.department_id),
                   "by_category": by(Category.name, Category, Category.id == Ticket.category_id)},
        "csat": {"average": round(float(csat_avg), 2) if csat_avg is not None else None, "answers": int(csat_count),
                 "comments": comments},
        "recurring": {"configuration_items": recurring, "alarm_keys": codes},
    }


def _share(met: Any, total: Any) -> dict[str, Any]:
    met, total = int(met or 0), int(total or 0)
    return {"met": met, "total": total, "percent": round(100 * met / total, 1) if total else None}
