"""Report values: figures a plugin shows, computed by the hub in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TicketFigures:
    """Aggregates over the tickets created in a period (hub.sdk.tracker.ticket_figures),
    computed in the database: counts, means and top lists, never the tickets themselves.
    Lists of ``(name, count)`` are sorted by count, largest first, then by name."""

    start: datetime
    """The period's first instant (included)."""
    end: datetime
    """The instant after the period (excluded)."""
    department: str | None
    """The slug of the department the figures are limited to; None for all tickets."""
    tickets: int
    """Tickets created in the period."""
    acknowledge_seconds: float | None
    """Mean time from creation to acknowledgement (else first response), over the tickets
    that have one; None when none has."""
    resolve_seconds: float | None
    """Mean time from creation to resolution, over the resolved tickets."""
    response_met: int
    """Tickets with a response due time whose first response came by it."""
    response_total: int
    """Tickets with a response due time that are answered or past it (judged); one not yet
    due and not yet answered is no miss."""
    resolution_met: int
    """Tickets resolved by their resolution due time."""
    resolution_total: int
    """Tickets with a resolution due time that are resolved or past it (judged)."""
    csat_average: float | None
    """Mean satisfaction score of the answered surveys."""
    csat_answers: int
    """Answered satisfaction surveys."""
    csat_comments: list[tuple[str, int | None, str]]
    """The ten newest survey comments as ``(ref, score, comment)``."""
    backlog: tuple[int, int, int, int]
    """Open tickets (an incident new to on hold, a change draft to review), whenever
    created, by age: under 1 day, 1 to 7 days, 7 to 30 days, 30 days and more."""
    by_day: list[tuple[str, int]]
    """Tickets per UTC day (``2026-11-23``) that has any, oldest first."""
    by_source: list[tuple[str, int]]
    """Tickets per source (``api``, ``ui`` or a connector slug)."""
    by_department: list[tuple[str, int]]
    """Tickets per department name; ``(none)`` for tickets without one."""
    by_category: list[tuple[str, int]]
    """Tickets per category name; ``(none)`` for tickets without one."""
    recurring_items: list[tuple[str, int, int]]
    """The ten configuration items with the most occurrences as ``(name, tickets,
    occurrences)``, most occurrences first."""
    recurring_keys: list[tuple[str, int, int]]
    """The same for correlation keys (an alarm's site/line/machine/code)."""
    problems_opened: int = 0
    """Problems opened in the period. Problems are counted here only: the figures above are
    of incidents and changes, the work requesters and sources open."""
    problems_resolved: int = 0
    """Problems resolved in the period (whenever opened), by their resolution time."""
    known_errors: int = 0
    """Problems in state known_error now: a workaround is shown, the fix is still due."""


@dataclass(frozen=True)
class ServicePoint:
    """Service figures of one group's tickets created in one period bucket (TrendFigures.service).

    Means come with the number of tickets they are taken over, so a reader can add buckets
    or groups up exactly (a weighted mean)."""

    group: str | None
    """The group's name (a customer, organisation, department, category or service); None
    for tickets without one."""
    bucket: str
    """The bucket: a UTC day (``2026-11-23``) or month (``2026-11``)."""
    tickets: int
    """Tickets created in the bucket."""
    csat_average: float | None
    """Mean satisfaction score of the answered surveys; None when none was answered."""
    csat_answers: int
    """Answered satisfaction surveys."""
    response_seconds: float | None
    """Mean time from creation to acknowledgement (else first response), as MTTA."""
    responded: int
    """Tickets with an acknowledgement or first response."""
    resolve_seconds: float | None
    """Mean time from creation to resolution, as MTTR."""
    resolved: int
    """Resolved tickets."""


@dataclass(frozen=True)
class TrendFigures:
    """The period's figures over time and by group (hub.sdk.tracker.trend_figures), computed in
    the database, one grouped query each. Since SDK 1.4."""

    start: datetime
    """The period's first instant (included)."""
    end: datetime
    """The instant after the period (excluded)."""
    department: str | None
    """The slug of the department the figures are limited to; None for all tickets."""
    bucket: str
    """``day`` for periods up to 62 days, else ``month``."""
    grouping: str
    """What ``service`` is grouped by: customer, organisation, department, category or service."""
    service: list[ServicePoint]
    """Incidents and changes created in the period, per group and bucket, by bucket then group."""
    ci_faults: list[tuple[str, str, int, int]]
    """Incidents per configuration item and bucket as ``(item, bucket, incidents,
    occurrences)``: of the item asked for, else of the five items with the most occurrences."""
    change_outcomes: dict[str, int]
    """Changes that ended in the period (their closed time), by outcome: ``successful``
    (closed), ``failed``, ``rolled_back`` (backed out)."""
    caused_incidents: int
    """Incidents created in the period that a change caused (a ``caused_by`` link)."""
    causing_changes: list[tuple[str, str, int]]
    """The ten changes that caused the most of those incidents, as ``(ref, title, incidents)``."""
    problems: list[tuple[str, int, int]]
    """Problems per bucket as ``(bucket, opened, resolved)``, for buckets that have any."""
    tickets_by_kind: dict[str, int]
    """Tickets created in the period per kind (incident, change, problem)."""
