"""The period's figures over time and by group: what the Insights dashboard draws as lines.

Each figure is one grouped query (the database adds up, Python only names the rows), so the
cost follows the number of groups and buckets, never the number of tickets read back:
service figures per group and bucket, faults per configuration item and bucket, changes by
outcome, change-caused incidents and the changes behind most of them, problems opened and
resolved per bucket, and tickets per kind (what the cost of complaints multiplies).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, and_, case, cast, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from hub.models import Category, ConfigurationItem, Customer, CustomerOrganisation, Department, Ticket, TicketLink
from hub.sdk.tracker_errors import ValidationFailed
from hub.sdk.values import ServicePoint, TrendFigures
from hub.tracker.figures import _day, _in_department, _seconds
from hub.tracker.states import SERVICE_KINDS

#: What the service figures can be grouped by.
GROUPINGS = ("customer", "organisation", "department", "category", "service")
#: Up to this many days a bucket is a day; a longer period has months (a year of days is
#: 366 points, more than a phone-wide chart can show apart).
DAY_BUCKETS_UP_TO = 62
#: The items the fault trend draws when none is asked for: those with the most occurrences.
FAULT_LINES = 5
TOP = 10
#: A change's final state as its outcome.
OUTCOMES = {"closed": "successful", "failed": "failed", "backed_out": "rolled_back"}


def trend_figures(session: Session, *, start: dt.datetime, end: dt.datetime, department: str | None,
                  grouping: str = "department", ci_name: str | None = None) -> TrendFigures:
    """The figures over time and by ``grouping`` of the tickets created in [start, end), of the
    department with this slug or all; the fault trend of the item named ``ci_name`` or of the
    items that fail most."""
    if grouping not in GROUPINGS:
        raise ValidationFailed({"group": [f"Group by one of: {', '.join(GROUPINGS)}."]})
    bucket = "day" if (end - start).days <= DAY_BUCKETS_UP_TO else "month"
    in_department = _in_department(department)
    in_period = and_(Ticket.created_at >= start, Ticket.created_at < end)
    outcomes, caused, causing = _changes(session, in_department, in_period, start, end)
    return TrendFigures(
        start=start, end=end, department=department, bucket=bucket, grouping=grouping,
        service=_service(session, grouping, bucket, and_(Ticket.kind.in_(list(SERVICE_KINDS)), in_period,
                                                         *in_department)),
        ci_faults=_faults(session, bucket, and_(Ticket.kind == "incident", in_period, *in_department), ci_name),
        change_outcomes=outcomes, caused_incidents=caused, causing_changes=causing,
        problems=_problems(session, bucket, in_department, start, end),
        tickets_by_kind=_kinds(session, and_(in_period, *in_department)))


def _bucket(session: Session, column: Any, bucket: str) -> Any:
    """The day (as the dashboard's volumes count it) or the UTC month (``2026-11``) of a time."""
    if bucket == "day":
        return _day(session, column)
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _grouped(grouping: str) -> tuple[Any, Any, Any]:
    """The group's id and name as columns, and the tickets joined to where they are read."""
    tickets: Any = Ticket.__table__
    if grouping in ("customer", "organisation"):
        tickets = tickets.outerjoin(Customer, Customer.id == Ticket.customer_id)
        if grouping == "customer":
            return Customer.id, Customer.display_name, tickets
        tickets = tickets.outerjoin(CustomerOrganisation, CustomerOrganisation.id == Customer.organisation_id)
        return CustomerOrganisation.id, CustomerOrganisation.name, tickets
    if grouping in ("department", "category"):
        model: Any = Department if grouping == "department" else Category
        return model.id, model.name, tickets.outerjoin(model, model.id == getattr(Ticket, f"{grouping}_id"))
    # A service is the ticket's item when that is a service, else the service its item is
    # part of (a machine's line is no service; a mail server's mail service is).
    item, parent = aliased(ConfigurationItem), aliased(ConfigurationItem)
    tickets = tickets.outerjoin(item, item.id == Ticket.ci_id).outerjoin(parent, parent.id == item.parent_id)
    ident = case((item.kind == "service", item.id), (parent.kind == "service", parent.id))
    name = case((item.kind == "service", item.name), (parent.kind == "service", parent.name))
    return ident, name, tickets


def _service(session: Session, grouping: str, bucket: str, scope: Any) -> list[ServicePoint]:
    ident, name, tickets = _grouped(grouping)
    when = _bucket(session, Ticket.created_at, bucket)
    response = _seconds(session, func.coalesce(Ticket.acknowledged_at, Ticket.first_response_at), Ticket.created_at)
    resolve = _seconds(session, Ticket.resolved_at, Ticket.created_at)
    csat = cast(Ticket.csat_score, Float)
    rows = session.execute(
        select(ident, name, when, func.count(), func.avg(csat), func.count(csat), func.avg(response),
               func.count(response), func.avg(resolve), func.count(resolve))
        .select_from(tickets).where(scope).group_by(ident, name, when))
    points = [ServicePoint(group=_group_name(grouping, key, label), bucket=str(day), tickets=int(count),
                           csat_average=_float(csat_mean), csat_answers=int(answers),
                           response_seconds=_float(response_mean), responded=int(responded),
                           resolve_seconds=_float(resolve_mean), resolved=int(resolved))
              for key, label, day, count, csat_mean, answers, response_mean, responded, resolve_mean, resolved
              in rows]
    return sorted(points, key=lambda point: (point.bucket, point.group is None, point.group or ""))


def _group_name(grouping: str, key: Any, label: Any) -> str | None:
    if key is None:
        return None
    # A customer known only by an address has no display name yet: name it by its number.
    return str(label) if label else f"{grouping.title()} {key}"


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def _faults(session: Session, bucket: str, incidents: Any, ci_name: str | None) -> list[tuple[str, str, int, int]]:
    occurrences = func.sum(Ticket.occurrence_count)
    named = select(ConfigurationItem.name).select_from(Ticket) \
        .join(ConfigurationItem, ConfigurationItem.id == Ticket.ci_id)
    if ci_name:
        which = ConfigurationItem.name == ci_name
    else:
        # The items that fail most, as "What fails most" ranks them, picked in the same query.
        top = named.where(incidents).group_by(ConfigurationItem.name) \
            .order_by(occurrences.desc(), ConfigurationItem.name).limit(FAULT_LINES)
        which = ConfigurationItem.name.in_(top.scalar_subquery())
    when = _bucket(session, Ticket.created_at, bucket)
    rows = session.execute(
        select(ConfigurationItem.name, when, func.count(Ticket.id), occurrences).select_from(Ticket)
        .join(ConfigurationItem, ConfigurationItem.id == Ticket.ci_id).where(incidents, which)
        .group_by(ConfigurationItem.name, when))
    return sorted((str(item), str(day), int(count), int(seen or 0)) for item, day, count, seen in rows)


def _changes(session: Session, in_department: list[Any], in_period: Any, start: dt.datetime,
             end: dt.datetime) -> tuple[dict[str, int], int, list[tuple[str, str, int]]]:
    """Changes by outcome (by when they ended), and the period's incidents a change caused."""
    ended = session.execute(
        select(Ticket.status, func.count()).where(Ticket.kind == "change", Ticket.status.in_(list(OUTCOMES)),
                                                  Ticket.closed_at >= start, Ticket.closed_at < end, *in_department)
        .group_by(Ticket.status))
    outcomes = dict.fromkeys(OUTCOMES.values(), 0) | {OUTCOMES[status]: int(count) for status, count in ended}
    # A caused_by link goes from the incident (its source) to the change (its target).
    caused_links = and_(TicketLink.kind == "caused_by", Ticket.kind == "incident", in_period, *in_department)
    incidents = distinct(TicketLink.source_id)
    caused = session.scalar(select(func.count(incidents)).select_from(TicketLink)
                            .join(Ticket, Ticket.id == TicketLink.source_id).where(caused_links))
    change = aliased(Ticket)
    causing = session.execute(
        select(change.ref, change.title, func.count(incidents)).select_from(TicketLink)
        .join(Ticket, Ticket.id == TicketLink.source_id).join(change, change.id == TicketLink.target_id)
        .where(caused_links).group_by(change.id, change.ref, change.title)
        .order_by(func.count(incidents).desc(), change.ref).limit(TOP))
    return outcomes, int(caused or 0), [(str(ref), str(title), int(count)) for ref, title, count in causing]


def _problems(session: Session, bucket: str, in_department: list[Any], start: dt.datetime,
              end: dt.datetime) -> list[tuple[str, int, int]]:
    """Problems opened (by creation) and resolved (by resolution) per bucket, in one read."""
    problem = and_(Ticket.kind == "problem", *in_department)
    opened = select(_bucket(session, Ticket.created_at, bucket).label("bucket"), literal(1).label("opened"),
                    literal(0).label("resolved")).where(problem, Ticket.created_at >= start, Ticket.created_at < end)
    resolved = select(_bucket(session, Ticket.resolved_at, bucket), literal(0), literal(1)) \
        .where(problem, Ticket.resolved_at >= start, Ticket.resolved_at < end)
    both = union_all(opened, resolved).subquery("problem_days")
    rows = session.execute(select(both.c.bucket, func.sum(both.c.opened), func.sum(both.c.resolved))
                           .group_by(both.c.bucket))
    return sorted((str(day), int(made or 0), int(done or 0)) for day, made, done in rows)


def _kinds(session: Session, scope: Any) -> dict[str, int]:
    rows = session.execute(select(Ticket.kind, func.count()).where(scope).group_by(Ticket.kind))
    return {str(kind): int(count) for kind, count in rows}
