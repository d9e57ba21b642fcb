"""The tracker as plugins and connectors see it: tickets by reference, comments, timers,
plugin data and settings, mail, hooks to emit.

Every function takes the caller's ``session`` (a hook's session, so the work commits with
the change that triggered it) and returns snapshots from :mod:`hub.sdk.values`, never ORM
rows. The SDK only declares them (:class:`TrackerServices`); the hub's core implements them
(``hub.app.services``) and hands the implementation over through the session's Runtime, so
this module imports nothing of the core and the core may move its modules freely.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.sdk.actors import Actor
from hub.sdk.tracker_services import TrackerServices
from hub.sdk.values import CommentInfo, CustomFieldInfo, LinkInfo, TicketFigures, TicketInfo, TrendFigures

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "Actor",
    "TrackerServices",
    "add_comment",
    "cancel_timers",
    "change_approvers",
    "custom_field_definitions",
    "customers_at_risk",
    "departments",
    "emit",
    "find_tickets",
    "get_custom_fields",
    "get_plugin_data",
    "get_ticket",
    "links_of",
    "now",
    "open_problem",
    "plugin_settings",
    "rate_limit_hit",
    "record_breach",
    "recurring_incidents",
    "remember_thread_key",
    "send_mail",
    "set_custom_fields",
    "set_due_times",
    "set_plugin_data",
    "set_sla_paused",
    "set_timer",
    "speaking_remote",
    "status_url",
    "survey_links",
    "thread_keys",
    "ticket_figures",
    "transition",
    "trend_figures",
    "update_fields",
]


def _core(session: Session) -> TrackerServices:
    # The Runtime that opened the session carries the implementation (set by the app
    # factory); reading it as an attribute keeps this module free of core imports.
    services = getattr(session.info.get("runtime"), "services", None)
    if services is None:
        raise RuntimeError("this session was not opened by a hub app (no tracker services on its Runtime)")
    return services


def get_ticket(session: Session, ref: str) -> TicketInfo:
    """The ticket with this reference; raises hub.sdk.tracker_errors.NotFound."""
    return _core(session).get_ticket(session, ref)


def find_tickets(session: Session, *, limit: int = 50, **filters: Any) -> list[TicketInfo]:
    """Tickets matching TicketFilter fields (kind, status, department, q, open_only, ...)."""
    return _core(session).find_tickets(session, limit=limit, **filters)


def update_fields(session: Session, ref: str, values: dict[str, Any], actor: Actor) -> dict[str, tuple[Any, Any]]:
    """Change fields (names, not ids, for related records); returns what changed."""
    return _core(session).update_fields(session, ref, values, actor)


def transition(session: Session, ref: str, to: str, actor: Actor, note: str | None = None) -> TicketInfo:
    """Move a ticket; raises IllegalTransition listing the allowed moves."""
    return _core(session).transition(session, ref, to, actor, note)


def add_comment(session: Session, ref: str, body: str, actor: Actor, visibility: str = "public") -> CommentInfo:
    return _core(session).add_comment(session, ref, body, actor, visibility)


def remember_thread_key(session: Session, ref: str, key: str) -> None:
    """Make replies naming ``key`` (a Message-ID the hub sent) land on this ticket."""
    _core(session).remember_thread_key(session, ref, key)


def thread_keys(session: Session, ref: str, *, limit: int = 50) -> list[str]:
    """Message ids known for the ticket (received and sent), oldest first."""
    return _core(session).thread_keys(session, ref, limit=limit)


def links_of(session: Session, ref: str) -> list[LinkInfo]:
    return _core(session).links_of(session, ref)


def now(session: Session) -> datetime:
    return _core(session).now(session)


def set_timer(
    session: Session, ref: str, *, plugin: str, name: str, due_at: datetime, data: dict[str, Any] | None = None
) -> None:
    """Be told (hook ``timer_fired``) when ``due_at`` comes; setting it again moves it."""
    _core(session).set_timer(session, ref, plugin=plugin, name=name, due_at=due_at, data=data)


def cancel_timers(session: Session, ref: str, *, plugin: str, names: list[str] | None = None) -> None:
    _core(session).cancel_timers(session, ref, plugin=plugin, names=names)


def get_plugin_data(session: Session, ref: str, plugin: str) -> dict[str, Any]:
    return _core(session).get_plugin_data(session, ref, plugin)


def set_plugin_data(session: Session, ref: str, plugin: str, data: dict[str, Any]) -> None:
    _core(session).set_plugin_data(session, ref, plugin, data)


def set_due_times(
    session: Session, ref: str, *, response_due_at: datetime | None, resolve_due_at: datetime | None
) -> None:
    """Record the ticket's service-level due times (shown to agents and the requester)."""
    _core(session).set_due_times(session, ref, response_due_at=response_due_at, resolve_due_at=resolve_due_at)


def record_breach(session: Session, ref: str, *, target: str, due_at: datetime) -> bool:
    """Record that the ticket missed its ``response`` or ``resolution`` due time, once:
    nothing later clears or moves it. Returns whether this call recorded it."""
    return _core(session).record_breach(session, ref, target=target, due_at=due_at)


def set_sla_paused(session: Session, ref: str, since: datetime | None) -> None:
    """The ticket's SLA clocks stopped at ``since`` (a pause state), or run again (None)."""
    _core(session).set_sla_paused(session, ref, since)


def plugin_settings(session: Session, plugin: str) -> dict[str, Any]:
    """A plugin's settings as its schema loads them (defaults filled in)."""
    return _core(session).plugin_settings(session, plugin)


def rate_limit_hit(session: Session, key: str, *, limit: int, window_seconds: float) -> bool:
    """Count one hit of ``key``; False when it is over ``limit`` in the current window."""
    return _core(session).rate_limit_hit(session, key, limit=limit, window_seconds=window_seconds)


def status_url(session: Session, ref: str) -> str:
    """The requester's private status link for the ticket (issued on first use)."""
    return _core(session).status_url(session, ref)


def send_mail(
    session: Session,
    *,
    to: list[str],
    subject: str,
    body: str = "",
    ref: str | None = None,
    template: str | None = None,
    context: dict[str, Any] | None = None,
    instance: str | None = None,
    key: str | None = None,
    cc: list[str] | None = None,
) -> bool:
    """Queue a mail through a mail-capable instance (the ticket's own, else the first);
    False when no instance can send mail. ``key`` makes it idempotent."""
    return _core(session).send_mail(
        session,
        to=to,
        subject=subject,
        body=body,
        ref=ref,
        template=template,
        context=context,
        instance=instance,
        key=key,
        cc=cc,
    )


def speaking_remote(session: Session, ref: str) -> str | None:
    """The slug of the synced system that speaks to the ticket's requester (its own mail
    reaches them), or None when the hub does (``requester_conversation``)."""
    return _core(session).speaking_remote(session, ref)


def emit(session: Session, hook: str, ref: str | None, **kwargs: Any) -> list[Any]:
    """Call a hook a plugin declared (``register_hookspecs``) for the ticket ``ref`` (given to
    the implementations as ``ticket``; None for a hook about no ticket) and return the
    implementations' answers that are not None (an empty list when none listens). The SLA
    plugin announces ``sla_warning`` and ``sla_breached`` so. The core's own hooks are not
    emittable."""
    return _core(session).emit(session, hook, ref, **kwargs)


def ticket_figures(
    session: Session, *, start: datetime, end: datetime, department: str | None = None
) -> TicketFigures:
    """Aggregates over the tickets created in [start, end), of the department with this slug
    (an unknown one has no tickets) or all: counts, mean times, service-level shares,
    satisfaction, volumes and the open backlog, computed in the database (a report, not a
    loop over tickets). Due times passed and backlog ages are judged at the hub's now."""
    return _core(session).ticket_figures(session, start=start, end=end, department=department)


def trend_figures(
    session: Session, *, start: datetime, end: datetime, department: str | None = None,
    grouping: str = "department", ci_name: str | None = None,
) -> TrendFigures:
    """The tickets created in [start, end) over time (days, or months for a period over 62
    days) and by ``grouping`` (customer, organisation, department, category or service):
    satisfaction and response and resolution times, faults per configuration item (the one
    named ``ci_name``, else the five with the most occurrences), changes by outcome,
    change-caused incidents, problems opened and resolved, tickets per kind. One grouped
    query per figure. ValidationFailed for another grouping. Since SDK 1.4."""
    return _core(session).trend_figures(session, start=start, end=end, department=department, grouping=grouping,
                                        ci_name=ci_name)


def departments(session: Session) -> list[tuple[str, str]]:
    """Every department as ``(slug, name)``, by slug."""
    return _core(session).departments(session)


def custom_field_definitions(
    session: Session, *, department: str | None = None, kind: str | None = None
) -> list[CustomFieldInfo]:
    """The custom fields an admin defined, in form order; with ``department`` (slug) or
    ``kind``, those a ticket there has. A sync mapping offers these as ``custom:<name>``."""
    return _core(session).custom_field_definitions(session, department=department, kind=kind)


def get_custom_fields(session: Session, ref: str) -> dict[str, Any]:
    """The ticket's custom fields by name: the defined ones typed (a number stays a number, a
    date is ``YYYY-MM-DD``, an item its key) and any plain data a source left."""
    return _core(session).get_custom_fields(session, ref)


def set_custom_fields(
    session: Session, ref: str, values: dict[str, Any], actor: Actor, *, strict: bool = True
) -> dict[str, tuple[Any, Any]]:
    """Set the custom fields named (None clears one; the rest stay); returns ``{name: (old, new)}``.

    ``strict``: a value the field cannot hold raises ValidationFailed with one message per
    field (``custom_fields.<name>``). With ``strict=False`` (a sync from a remote system) such
    a value is left out and the ticket's audit says why, so one bad field never stops a sync.
    """
    return _core(session).set_custom_fields(session, ref, values, actor, strict=strict)


def change_approvers(session: Session, ref: str) -> list[str] | None:
    """The usernames who may still decide on change ``ref`` in its current round: its board's
    members but its author and those who decided already. None when no board is named for
    its type and risk (then any agent but its author decides). Since SDK 1.3."""
    return _core(session).change_approvers(session, ref)


def recurring_incidents(
    session: Session, *, start: datetime, end: datetime, department: str | None = None,
    ci_name: str | None = None, key: str | None = None,
) -> list[str]:
    """The references of the incidents created in [start, end) with a configuration item of
    this name or this correlation key (one of the two), newest first, at most 200: what a
    row of TicketFigures' recurring items or keys counts. ValidationFailed when none has it."""
    return _core(session).recurring_incidents(session, start=start, end=end, department=department,
                                              ci_name=ci_name, key=key)


def open_problem(session: Session, incidents: list[str], actor: Actor,
                 values: dict[str, Any] | None = None) -> TicketInfo:
    """Open a problem linked to each of these incidents (``problem_of``), with the item, key and
    department they share unless ``values`` sets them (and a title from theirs unless it
    does); raises ValidationFailed, making nothing, for a reference that is no incident."""
    return _core(session).open_problem(session, incidents, actor, values)


def survey_links(session: Session, ref: str) -> list[tuple[int, str]]:
    """The one-click rating links for the resolution mail of ``ref``: ``[(score, url)]`` for 1 to
    5, signed and expiring (HUB_SURVEY_LINK_DAYS); opening one shows a page where the
    requester confirms. Since SDK 1.4."""
    return _core(session).survey_links(session, ref)


def customers_at_risk(session: Session, *, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Per day in [start, end) (``YYYY-MM-DD``), how many customers were flagged at risk at the
    day's end. Since SDK 1.4."""
    return _core(session).customers_at_risk(session, start=start, end=end)
