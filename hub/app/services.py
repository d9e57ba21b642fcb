"""The tracker's public services: what plugins and connectors call through hub.sdk.tracker.

This module implements the SDK's TrackerServices protocol (the app factory checks it with
mypy and hands it to the Runtime); extensions never import it directly.

Everything here takes the caller's ``session`` (a hook's session, so the work commits with
the change that triggered it), names tickets by reference, and returns snapshots from
:mod:`hub.sdk.values`, never ORM rows. These signatures are kept stable like the hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.sdk.actors import Actor
from hub.sdk.values import CommentInfo, CustomFieldInfo, LinkInfo, TicketFigures, TicketInfo, TrendFigures
from hub.tracker import comments as _comments
from hub.tracker import correlate as _correlate
from hub.tracker import custom_fields as _custom_fields
from hub.tracker import figures as _figures
from hub.tracker import links as _links
from hub.tracker import org as _org
from hub.tracker import plugin_data as _plugin_data
from hub.tracker import problems as _problems
from hub.tracker import tickets as _tickets
from hub.tracker import timers as _timers
from hub.tracker import trends as _trends
from hub.tracker.info import comment_info, link_info, ticket_info
from hub.tracker.queries import TicketFilter, list_tickets

__all__ = [
    "Actor",
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


def get_ticket(session: Session, ref: str) -> TicketInfo:
    """The ticket with this reference; raises hub.sdk.tracker_errors.NotFound."""
    return ticket_info(session, _tickets.get_ticket(session, ref))


def find_tickets(session: Session, *, limit: int = 50, **filters: Any) -> list[TicketInfo]:
    """Tickets matching TicketFilter fields (kind, status, department, q, open_only, ...)."""
    page = list_tickets(session, TicketFilter(**filters), limit=limit)
    return [ticket_info(session, ticket) for ticket in page.items]


def update_fields(session: Session, ref: str, values: dict[str, Any], actor: Actor) -> dict[str, tuple[Any, Any]]:
    """Change fields (names, not ids, for related records); returns what changed."""
    ticket = _tickets.get_ticket(session, ref, for_update=True)
    return _tickets.update_ticket(session=session, ticket=ticket, values=values, actor=actor)


def transition(session: Session, ref: str, to: str, actor: Actor, note: str | None = None) -> TicketInfo:
    """Move a ticket; raises IllegalTransition listing the allowed moves."""
    ticket = _tickets.get_ticket(session, ref, for_update=True)
    _tickets.transition_ticket(session=session, ticket=ticket, to=to, actor=actor, note=note)
    return ticket_info(session, ticket)


def add_comment(session: Session, ref: str, body: str, actor: Actor, visibility: str = "public") -> CommentInfo:
    ticket = _tickets.get_ticket(session, ref, for_update=True)
    return comment_info(_comments.add_comment(session=session, ticket=ticket, body=body, actor=actor,
                                              visibility=visibility))


def remember_thread_key(session: Session, ref: str, key: str) -> None:
    """Make replies naming ``key`` (a Message-ID the hub sent) land on this ticket."""
    _correlate.remember_thread_key(session, _tickets.get_ticket(session, ref).id, key)


def thread_keys(session: Session, ref: str, *, limit: int = 50) -> list[str]:
    """Message ids known for the ticket (received and sent), oldest first."""
    return _correlate.thread_keys_of(session, _tickets.get_ticket(session, ref).id, limit=limit)


def links_of(session: Session, ref: str) -> list[LinkInfo]:
    return [link_info(link) for link in _links.links_of(session, _tickets.get_ticket(session, ref).id)]


def now(session: Session) -> datetime:
    from hub.core.runtime import runtime_of

    return runtime_of(session).now()


def set_timer(session: Session, ref: str, *, plugin: str, name: str, due_at: datetime,
              data: dict[str, Any] | None = None) -> None:
    """Be told (hook ``timer_fired``) when ``due_at`` comes; setting it again moves it."""
    _timers.set_timer(session, ticket_id=_tickets.get_ticket(session, ref).id, plugin=plugin, name=name,
                      due_at=due_at, data=data)


def cancel_timers(session: Session, ref: str, *, plugin: str, names: list[str] | None = None) -> None:
    _timers.cancel_timers(session, ticket_id=_tickets.get_ticket(session, ref).id, plugin=plugin, names=names)


def get_plugin_data(session: Session, ref: str, plugin: str) -> dict[str, Any]:
    return _plugin_data.get_data(session, _tickets.get_ticket(session, ref).id, plugin)


def set_plugin_data(session: Session, ref: str, plugin: str, data: dict[str, Any]) -> None:
    _plugin_data.set_data(session, _tickets.get_ticket(session, ref).id, plugin, data)


def set_due_times(session: Session, ref: str, *, response_due_at: datetime | None,
                  resolve_due_at: datetime | None) -> None:
    """Record the ticket's service-level due times (shown to agents and the requester)."""
    ticket = _tickets.get_ticket(session, ref)
    # Set only what moves: an unchanged ticket stays clean, and a batch of new tickets
    # (whose due times were given on INSERT) is not scanned for changes at its flush.
    if ticket.response_due_at != response_due_at:
        ticket.response_due_at = response_due_at
    if ticket.resolve_due_at != resolve_due_at:
        ticket.resolve_due_at = resolve_due_at


def record_breach(session: Session, ref: str, *, target: str, due_at: datetime) -> bool:
    """Record that the ticket missed its ``response`` or ``resolution`` due time ``due_at``.

    Recorded once: a later escalation, answer or policy change never clears or moves it.
    Returns whether this call recorded it.
    """
    columns = {"response": "response_breached_at", "resolution": "resolve_breached_at"}
    if target not in columns:
        raise ValueError(f"target must be response or resolution, not {target!r}")
    ticket = _tickets.get_ticket(session, ref)
    if getattr(ticket, columns[target]) is not None:
        return False
    setattr(ticket, columns[target], due_at)
    ticket.sla_breached_at = min(moment for moment in (ticket.sla_breached_at, due_at) if moment is not None)
    return True


def set_sla_paused(session: Session, ref: str, since: datetime | None) -> None:
    """The ticket's SLA clocks stopped at ``since`` (a pause state), or run again (None)."""
    _tickets.get_ticket(session, ref).sla_paused_at = since


def plugin_settings(session: Session, plugin: str) -> dict[str, Any]:
    """A plugin's settings as its schema loads them (defaults filled in)."""
    from hub.plugins.admin import effective_settings

    return effective_settings(session, plugin)


def rate_limit_hit(session: Session, key: str, *, limit: int, window_seconds: float) -> bool:
    """Count one hit of ``key``; False when it is over ``limit`` in the current window."""
    from hub.tracker.rate_limits import hit

    return hit(session, key, limit=limit, window_seconds=window_seconds)


def status_url(session: Session, ref: str) -> str:
    """The requester's private status link for the ticket (issued on first use)."""
    from hub.tracker.status_links import status_url as url

    return url(session, _tickets.get_ticket(session, ref))


def send_mail(session: Session, *, to: list[str], subject: str, body: str = "", ref: str | None = None,
              template: str | None = None, context: dict[str, Any] | None = None, instance: str | None = None,
              key: str | None = None, cc: list[str] | None = None) -> bool:
    """Queue a mail through a mail-capable instance (the ticket's own, else the first);
    False when no instance can send mail. ``key`` makes it idempotent."""
    from hub.delivery.notifications import send_mail as queue_mail

    ticket = _tickets.get_ticket(session, ref) if ref else None
    return queue_mail(session, to=to, cc=cc, subject=subject, body=body, ticket=ticket, template=template,
                      context=context, instance_slug=instance, key=key) is not None


def speaking_remote(session: Session, ref: str) -> str | None:
    """The slug of the synced system that speaks to the ticket's requester (its own mail
    reaches them), or None when the hub does (``requester_conversation``)."""
    from hub.delivery.notifications import speaking_remote as find

    instance = find(session, _tickets.get_ticket(session, ref))
    return instance.slug if instance is not None else None


def emit(session: Session, hook: str, ref: str | None, **kwargs: Any) -> list[Any]:
    """Call a hook a plugin declared (``register_hookspecs``) for a ticket (or none, when
    ``ref`` is None) and return the implementations' answers that are not None. The SLA
    plugin announces ``sla_warning`` and ``sla_breached`` so. The core's own hooks are not
    emittable."""
    from hub.core.runtime import runtime_of

    plugins = runtime_of(session).plugins
    declared = plugins.declared_hooks
    if hook not in declared:
        raise ValueError(f"{hook} is not a hook a plugin declared (register_hookspecs); declared: {sorted(declared)}")
    if not plugins.has_impls(hook):
        return []  # nobody listens: not even the ticket is read
    if ref is not None:
        kwargs["ticket"] = _tickets.get_ticket(session, ref)
    answers = _tickets.notify(session, hook, **kwargs)
    return [answer for answer in answers or [] if answer is not None]


def ticket_figures(session: Session, *, start: datetime, end: datetime,
                   department: str | None = None) -> TicketFigures:
    """Aggregates over the tickets created in [start, end) (hub.tracker.figures)."""
    return _figures.ticket_figures(session, start=start, end=end, department=department, now=now(session))


def trend_figures(session: Session, *, start: datetime, end: datetime, department: str | None = None,
                  grouping: str = "department", ci_name: str | None = None) -> TrendFigures:
    """The period's figures over time and by group (hub.tracker.trends)."""
    return _trends.trend_figures(session, start=start, end=end, department=department, grouping=grouping,
                                 ci_name=ci_name)


def departments(session: Session) -> list[tuple[str, str]]:
    """Every department as ``(slug, name)``, by slug."""
    return _org.departments(session)


def custom_field_definitions(session: Session, *, department: str | None = None,
                             kind: str | None = None) -> list[CustomFieldInfo]:
    """The custom fields, in form order; with ``department`` or ``kind``, those such a ticket has."""
    return _custom_fields.list_fields(session, department=department, kind=kind)


def get_custom_fields(session: Session, ref: str) -> dict[str, Any]:
    """The ticket's custom fields by name."""
    return dict(_tickets.get_ticket(session, ref).custom_fields or {})


def set_custom_fields(session: Session, ref: str, values: dict[str, Any], actor: Actor, *,
                      strict: bool = True) -> dict[str, tuple[Any, Any]]:
    """Set the named custom fields (None clears); returns ``{name: (old, new)}``."""
    ticket = _tickets.get_ticket(session, ref, for_update=True)
    changes = _tickets.update_ticket(session=session, ticket=ticket, values={"custom_fields": dict(values)},
                                     actor=actor, create_loose=not strict)
    prefix = "custom_fields."
    return {name.removeprefix(prefix): moved for name, moved in changes.items() if name.startswith(prefix)}


def change_approvers(session: Session, ref: str) -> list[str] | None:
    """The board members who may still decide on the change (hub.tracker.cab), or None with no board."""
    from hub.tracker.approval_links import undecided_approvers

    return undecided_approvers(session, _tickets.get_ticket(session, ref, kind="change"))


def recurring_incidents(session: Session, *, start: datetime, end: datetime, department: str | None = None,
                        ci_name: str | None = None, key: str | None = None) -> list[str]:
    """The incidents one row of the recurring faults counts (hub.tracker.problems)."""
    return _problems.recurring_incidents(session, start=start, end=end, department=department, ci_name=ci_name,
                                         key=key)


def open_problem(session: Session, incidents: list[str], actor: Actor,
                 values: dict[str, Any] | None = None) -> TicketInfo:
    """A problem linked to these incidents (hub.tracker.problems.open_problem)."""
    problem = _problems.open_problem(session=session, incident_refs=incidents, values=values or {}, actor=actor,
                                     source="ui" if actor.type == "user" else "api")
    return ticket_info(session, problem)


def survey_links(session: Session, ref: str) -> list[tuple[int, str]]:
    """The signed one-click rating links of the ticket (hub.tracker.survey_links)."""
    from hub.tracker.survey_links import survey_links as links

    return links(session, _tickets.get_ticket(session, ref).ref)


def customers_at_risk(session: Session, *, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Customers flagged at risk at each day's end (hub.tracker.customer_risk)."""
    from hub.tracker.customer_risk import at_risk_trend

    return at_risk_trend(session, start=start, end=end)
