"""Aggregates over the tickets of a period, for reports (the Insights dashboard).

Every figure is computed in the database, in as few passes over the tickets as the engine
allows: one pass reads the period's tickets and the open ones together for the totals, the
four volume breakdowns and the backlog; three small lookups that indexes keep off the rest
of the table find the survey comments and what recurs. At 100,000 tickets in the period
that is ~40 ms on PostgreSQL, where eleven separate scans took ~215 ms
(bench/agent_pages.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, Float, and_, case, cast, func, literal, null, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from hub.models import Category, ConfigurationItem, Department, Ticket
from hub.sdk.values import TicketFigures
from hub.tracker.states import SERVICE_KINDS

#: What the backlog counts as open work, of either service kind.
BACKLOG_STATUSES = ("new", "acknowledged", "in_progress", "on_hold", "draft", "submitted", "assessment", "approved",
                    "scheduled", "implementing", "review")
#: The backlog's age limits in days: under 1, 1-7, 7-30, and 30 or more.
BACKLOG_AGE_DAYS = (1, 7, 30)
TOP = 10
NONE_LABEL = "(none)"

#: The breakdowns of the one pass, by the value GROUPING(source, department, category,
#: day, age) takes on a row of each (a bit is set for every column the row is not
#: grouped by); in the order of those columns.
SETS = {0b01111: "source", 0b10111: "department", 0b11011: "category", 0b11101: "day", 0b11110: "age"}
#: What each ticket of the period adds to the totals: a number, or NULL where it does not
#: count. The averages are sums over counts; the shares are counts.
AVERAGED = ("acknowledge", "resolve", "csat")
COUNTED = ("response_met", "response_due", "resolution_met", "resolution_judged")


def ticket_figures(session: Session, *, start: dt.datetime, end: dt.datetime, department: str | None,
                   now: dt.datetime) -> TicketFigures:
    """Everything a report shows of the tickets created in [start, end), of the department
    with this slug or all; ``now`` dates the backlog and the due times already passed."""
    in_department = _in_department(department)
    # Every ticket has a kind; naming them all lets PostgreSQL range-scan the (kind,
    # created_at) and (kind, status, ...) indexes when the period and the open tickets are
    # small parts of the table.
    # Problems are the agents' own records of causes: counted apart (_problem_counts).
    kinds = Ticket.kind.in_(list(SERVICE_KINDS))
    in_period = and_(Ticket.created_at >= start, Ticket.created_at < end)
    found = _one_pass(session, and_(kinds, *in_department), in_period, now)
    volumes = found.pop("volumes")
    period = and_(kinds, in_period, *in_department)
    items, keys = _recurring(session, period)
    opened, resolved, known = _problem_counts(session, in_department, start, end)
    return TicketFigures(
        start=start, end=end, department=department, **found,
        by_day=sorted(volumes["day"].items()), by_source=_ranked(volumes["source"]),
        by_department=_ranked(_named(session, Department, volumes["department"])),
        by_category=_ranked(_named(session, Category, volumes["category"])),
        csat_comments=_comments(session, period), recurring_items=items, recurring_keys=keys,
        problems_opened=opened, problems_resolved=resolved, known_errors=known)


def _problem_counts(session: Session, in_department: list[Any], start: dt.datetime,
                    end: dt.datetime) -> tuple[int, int, int]:
    """Problems opened and resolved in the period, and known errors now, in one small read
    (the (kind, created_at), (kind, resolved_at) and (kind, status) indexes lead with kind)."""
    opened, resolved, known = session.execute(select(
        func.count(case((and_(Ticket.created_at >= start, Ticket.created_at < end), 1))),
        func.count(case((and_(Ticket.resolved_at >= start, Ticket.resolved_at < end), 1))),
        func.count(case((Ticket.status == "known_error", 1))),
    ).where(Ticket.kind == "problem", *in_department)).one()
    return int(opened), int(resolved), int(known)


def _in_department(slug: str | None) -> list[Any]:
    if not slug:
        return []
    # An unknown slug matches no department and so no ticket: the figures are all zero.
    return [Ticket.department_id == select(Department.id).where(Department.slug == slug).scalar_subquery()]


def _seconds(session: Session, later: Any, earlier: Any) -> Any:
    """``later - earlier`` in seconds, in this database's SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _day(session: Session, column: Any) -> Any:
    """The UTC day of a time: a date on PostgreSQL (cheaper per row than formatting it), a
    ``YYYY-MM-DD`` string on SQLite (which stores UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.strftime("%Y-%m-%d", column)


def _measures(session: Session, now: dt.datetime) -> dict[str, Any]:
    ack = func.coalesce(Ticket.acknowledged_at, Ticket.first_response_at)
    return {
        "acknowledge": _seconds(session, ack, Ticket.created_at),
        "resolve": _seconds(session, Ticket.resolved_at, Ticket.created_at),
        "csat": cast(Ticket.csat_score, Float),
        "response_met": case((Ticket.first_response_at <= Ticket.response_due_at, 1)),
        # Judged: answered, or still unanswered past its due time. A ticket not yet due and
        # not yet answered is no miss (it was counted as one: 54.5 % shown for 5 not due).
        "response_due": case((and_(Ticket.response_due_at.is_not(None),
                                   or_(Ticket.first_response_at.is_not(None), Ticket.response_due_at < now)), 1)),
        "resolution_met": case((Ticket.resolved_at <= Ticket.resolve_due_at, 1)),
        # Judged: resolved, or still open past its due time.
        "resolution_judged": case((and_(Ticket.resolve_due_at.is_not(None),
                                        or_(Ticket.resolved_at.is_not(None), Ticket.resolve_due_at < now)), 1)),
    }


def _age(now: dt.datetime) -> Any:
    """An open ticket's place in the backlog (0 to 3, BACKLOG_AGE_DAYS); NULL for the rest.
    A ticket is younger than d days when it was created after now - d days."""
    younger = [(Ticket.created_at > now - dt.timedelta(days=days), index)
               for index, days in enumerate(BACKLOG_AGE_DAYS)]
    return case((Ticket.status.in_(BACKLOG_STATUSES), case(*younger, else_=len(BACKLOG_AGE_DAYS))))


def _pass_rows(session: Session, scope: Any, in_period: Any, now: dt.datetime) -> Iterable[Any]:
    """The one pass, over the period's tickets and the open ones: rows of (GROUPING bits,
    in the period (1 or 0), source, department id, category id, day, backlog age, tickets,
    the sum and count of each AVERAGED measure, the count of each COUNTED one), one per
    value of each breakdown (SETS).

    The tickets are first added up per combination of those keys (a few thousand groups
    at most, one hash lookup per ticket), and those sums then per breakdown."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    scoped = select(case((in_period, 1), else_=0).label("in_period"), Ticket.source.label("source"),
                    Ticket.department_id.label("department"), Ticket.category_id.label("category"),
                    _day(session, Ticket.created_at).label("day"), _age(now).label("age"),
                    *[value.label(name) for name, value in _measures(session, now).items()]
                    ).where(scope, or_(in_period, Ticket.status.in_(BACKLOG_STATUSES)))
    if postgresql:
        # OFFSET 0 keeps the day a column of a subquery PostgreSQL cannot see into, so it
        # estimates few combinations and hashes them. Seeing the expression it expects a day
        # per distinct created_at (one per ticket) and sorts the whole period instead (twice
        # the time at 100,000 tickets).
        scoped = scoped.offset(0)
    inner = scoped.subquery("scoped")
    keys = list(inner.c)[:6]
    combos = select(*keys, func.count().label("tickets"),
                    *[func.sum(inner.c[name]).label(f"{name}_sum") for name in AVERAGED],
                    *[func.count(inner.c[name]).label(f"{name}_count") for name in (*AVERAGED, *COUNTED)]
                    ).group_by(*keys).cte("combos")
    columns = list(combos.c)
    period, breakdowns, added = columns[0], columns[1:6], [func.sum(column) for column in columns[6:]]
    # Volumes count the period's tickets only (so they are grouped by in_period too); the
    # backlog counts open tickets whenever created.
    sets = [tuple_(period, key) for key in breakdowns[:4]] + [breakdowns[4]]
    if postgresql:
        return session.execute(select(func.grouping(*breakdowns), period, *breakdowns, *added)
                               .group_by(func.grouping_sets(*sets)))
    # SQLite has no GROUPING SETS: the same rows from five GROUP BYs of the combinations.
    parts = []
    for bits, key in zip(SETS, breakdowns, strict=True):
        by_period = key is not breakdowns[4]
        parts.append(select(literal(bits), period if by_period else null(),
                            *[column if column is key else null() for column in breakdowns], *added)
                     .group_by(*([period, key] if by_period else [key])))
    return session.execute(union_all(*parts))


def _number(value: Any) -> float:
    return float(value or 0)


def _one_pass(session: Session, scope: Any, in_period: Any, now: dt.datetime) -> dict[str, Any]:
    """The totals, volumes and backlog (TicketFigures' fields)."""
    found: dict[str, dict[Any, int]] = {name: {} for name in SETS.values()}
    sums = [0.0] * (1 + len(AVERAGED) * 2 + len(COUNTED))
    for bits, period, *rest in _pass_rows(session, scope, in_period, now):
        keys, (tickets, *added) = rest[:len(SETS)], rest[len(SETS):]
        name = SETS[bits]
        if name != "age" and not period:
            continue  # an open ticket from before (or after) the period: in the backlog only
        key = dict(zip(SETS.values(), keys, strict=True))[name]
        if name == "age" and key is None:
            continue  # the period's tickets that are not open
        found[name][str(key) if name == "day" else key] = int(tickets)
        if name == "day":  # every ticket has one day: the period's day rows add up to the totals
            sums = [total + _number(value) for total, value in zip(sums, [tickets, *added], strict=True)]
    tickets, (ack, resolve, csat), (ack_n, resolve_n, csat_n, *counted) = \
        int(sums[0]), sums[1:4], [int(value) for value in sums[4:]]
    response_met, response_total, resolution_met, resolution_total = counted
    ages = found.pop("age")
    return {"tickets": tickets, "acknowledge_seconds": ack / ack_n if ack_n else None,
            "resolve_seconds": resolve / resolve_n if resolve_n else None,
            "csat_average": csat / csat_n if csat_n else None, "csat_answers": csat_n,
            "response_met": response_met, "response_total": response_total, "resolution_met": resolution_met,
            "resolution_total": resolution_total, "volumes": found,
            "backlog": tuple(ages.get(index, 0) for index in range(len(BACKLOG_AGE_DAYS) + 1))}


def _named(session: Session, model: Any, counts: dict[int | None, int]) -> dict[str | None, int]:
    """Counts per id as counts per name (two records may share a name; None stays None)."""
    ids = [ident for ident in counts if ident is not None]
    names: dict[int, str] = dict(session.execute(
        select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}
    named: dict[str | None, int] = {}
    for ident, count in counts.items():
        name = names.get(ident) if ident is not None else None
        named[name] = named.get(name, 0) + count
    return named


def _ranked(counts: dict[Any, int]) -> list[tuple[str, int]]:
    """Largest count first, then by name, the unnamed last among equals (as PostgreSQL
    orders NULL)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))
    return [(NONE_LABEL if name is None else str(name), count) for name, count in ordered]


def _recurring(session: Session, period: Any) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """The configuration items and the correlation keys with the most occurrences."""
    occurrences = func.sum(Ticket.occurrence_count)
    items = session.execute(
        select(ConfigurationItem.name, func.count(Ticket.id), occurrences)
        .join(ConfigurationItem, ConfigurationItem.id == Ticket.ci_id).where(period)
        .group_by(ConfigurationItem.name).order_by(occurrences.desc(), ConfigurationItem.name).limit(TOP))
    # ix_tickets_correlated holds only tickets with a key (alarms).
    keys = session.execute(
        select(Ticket.correlation_key, func.count(Ticket.id), occurrences)
        .where(period, Ticket.correlation_key.is_not(None)).group_by(Ticket.correlation_key)
        .order_by(occurrences.desc(), Ticket.correlation_key).limit(TOP))
    return ([(str(name), int(tickets), int(seen or 0)) for name, tickets, seen in items],
            [(str(key), int(tickets), int(seen or 0)) for key, tickets, seen in keys])


def _comments(session: Session, period: Any) -> list[tuple[str, int | None, str]]:
    # ix_tickets_csat_comment holds only tickets with a comment; read backwards, newest first.
    return [(ref, score, str(text)) for ref, score, text in session.execute(
        select(Ticket.ref, Ticket.csat_score, Ticket.csat_comment)
        .where(period, Ticket.csat_comment.is_not(None)).order_by(Ticket.id.desc()).limit(TOP))]
