"""Repeats of one problem: the correlation key, its window, occurrences, flapping and clears.

An ``open`` draft with a correlation key is a repeat of the ticket that holds the key,
counted as an occurrence, as long as that ticket was last seen within the draft's
``correlation_window`` (when it gives one). After the window a repeat opens a new ticket,
which takes the key over. A ``clear`` resolves (or notes on) the keyed ticket, window or not:
the alarm it ends is the one still open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.ingest.known_tickets import reopen_if_resolved
from hub.ingest.outcomes import Outcome
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.values import InstanceInfo, TicketDraft
from hub.tracker import correlate


def correlation_window_of(draft: TicketDraft) -> timedelta | None:
    """The draft's window as a timedelta; a value that is no positive duration is refused
    (the event is quarantined with this reason, and a fixed connector can replay it)."""
    window = draft.correlation_window
    if window is None:
        return None
    if isinstance(window, timedelta):
        seconds = window.total_seconds()
    elif isinstance(window, int | float) and not isinstance(window, bool):
        seconds = float(window)
    else:
        raise ValueError(f"correlation_window must be a timedelta or a number of seconds, not {window!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"correlation_window must be above zero, not {window!r}")
    return timedelta(seconds=seconds)


def sighted_at(session: Session, draft: TicketDraft) -> datetime:
    """When the source saw this event: its own time if it gives one, else now."""
    when = draft.occurred_at or runtime_of(session).now()
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def last_sighting(ticket: Ticket) -> datetime:
    when = ticket.last_seen_at or ticket.created_at
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def describe_window(window: timedelta) -> str:
    seconds = window.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} hour(s)"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


@dataclass
class KeyClaim:
    """What the key of a new ``open`` gave: the outcome when the event repeats a ticket;
    otherwise the key is this event's to bind, ``previous`` the ticket it was taken from
    because its window had passed (the key goes back to it if a plugin vetoes the new one)."""

    outcome: Outcome | None = None
    previous: Ticket | None = None
    reason: str | None = None


def count_or_claim(session: Session, draft: TicketDraft, event: Any, key: str, view: InstanceInfo) -> KeyClaim:
    """Count the event on the ticket holding ``key`` (within the window), or claim the key
    for the new ticket the caller makes."""
    window = correlation_window_of(draft)
    owned, held = correlate.claim_key(session, key, reopen=draft.reopen_on_repeat)
    if held is not None:
        at = sighted_at(session, draft)
        if window is None or at - last_sighting(held.ticket) <= window:
            return KeyClaim(outcome=record_occurrence(session, draft, held, event, key, view))
        if correlate.take_over_key(session, key, held.ticket.id, reopen=draft.reopen_on_repeat):
            minutes = (at - last_sighting(held.ticket)).total_seconds() / 60
            return KeyClaim(previous=held.ticket, reason=(
                f"Same correlation key as {held.ticket.ref}, last seen {minutes:.0f} minutes before: beyond the "
                f"correlation window of {describe_window(window)}, so a new ticket."))
        # A concurrent event took the key over first; its new ticket is the one this repeats.
        again = correlate.peek_key(session, key)
        if again is not None:
            return KeyClaim(outcome=record_occurrence(session, draft, again, event, key, view))
        owned = False
    if not owned:
        raise RuntimeError(f"correlation key {key} is contended; replay the event")
    recent = _flapping_ticket(session, draft, key, window)
    if recent is not None:
        correlate.bind_key(session, key, recent.id)
        target = correlate.Target(recent, "correlation", "flapping")
        return KeyClaim(outcome=record_occurrence(session, draft, target, event, key, view))
    return KeyClaim()


def give_back_key(session: Session, key: str, claim: KeyClaim) -> None:
    """No ticket was made after all (a plugin refused it): the key returns to where it was."""
    if claim.previous is not None:
        correlate.bind_key(session, key, claim.previous.id)
    else:
        correlate.release_key(session, key)


def record_occurrence(session: Session, draft: TicketDraft, target: correlate.Target, event: Any, key: str,
                      view: InstanceInfo) -> Outcome:
    """Count one more occurrence on the keyed ticket; reopen it if resolved, and mark it
    flapping when it came and went too often."""
    ticket = target.ticket
    actor = Actor.connector(instance_id=view.id, instance_slug=view.slug, name=view.name)
    quiet = ticket.flapping and _quiet_since(session, ticket, draft.flap_minutes)
    count = correlate.record_occurrence(session, ticket, draft.occurred_at)
    flapping = ""
    if quiet:  # back after a quiet spell longer than the flapping window: a fresh start
        ticket.flapping = False
        flapping = f" Quiet for over {draft.flap_minutes:g} minutes before this: no longer flapping."
    reopened = reopen_if_resolved(session, ticket, actor, "Reopened: the problem came back.")
    if reopened and draft.flap_threshold and not ticket.flapping and \
            _raises_within(session, key, draft.flap_minutes) >= draft.flap_threshold:
        ticket.flapping = True
        flapping = f" It came and went {draft.flap_threshold} times within {draft.flap_minutes:g} minutes: flapping."
    reason = (f"Occurrence {count} of {ticket.ref}: same correlation key {key.split(':', 1)[1]!r}"
              + (", reopened because it was resolved." if reopened else ".") + flapping)
    plugins = runtime_of(session).plugins
    if plugins.has_impls("occurrence_recorded"):
        from hub.tracker.tickets import notify

        notify(session, "occurrence_recorded", ticket=ticket, event=event, reason=reason)
    return Outcome("applied", action="reopened" if reopened else "occurrence", ticket=ticket, reason=reason,
                   correlation_key=key)


def _quiet_since(session: Session, ticket: Ticket, minutes: float) -> bool:
    """Whether the ticket's problem was last seen longer than ``minutes`` ago."""
    return runtime_of(session).now() - last_sighting(ticket) > timedelta(minutes=minutes)


def _raises_within(session: Session, key: str, minutes: float) -> int:
    """How often the problem behind a key came up in the last ``minutes``: tickets opened
    for it plus reopenings of them."""
    from hub.models import AuditEvent

    since = runtime_of(session).now() - timedelta(minutes=minutes)
    opened = session.scalar(select(func.count(Ticket.id)).where(Ticket.correlation_key == key,
                                                                Ticket.created_at >= since)) or 0
    reopened = session.scalar(select(func.count(AuditEvent.id)).join(Ticket, Ticket.id == AuditEvent.ticket_id).where(
        Ticket.correlation_key == key, AuditEvent.action == "reopened", AuditEvent.at >= since)) or 0
    return int(opened) + int(reopened)


def _flapping_ticket(session: Session, draft: TicketDraft, key: str, window: timedelta | None) -> Ticket | None:
    """Under a "new ticket after a clear" policy, the last ticket of a key that flaps: it is
    reopened instead of opening yet another one (unless the correlation window has passed)."""
    if not draft.flap_threshold or draft.reopen_on_repeat:
        return None
    since = runtime_of(session).now() - timedelta(minutes=draft.flap_minutes)
    last = session.scalar(select(Ticket).where(Ticket.correlation_key == key, Ticket.status == "resolved",
                                               Ticket.resolved_at >= since).order_by(Ticket.id.desc()).limit(1))
    if last is None or _raises_within(session, key, draft.flap_minutes) + 1 < draft.flap_threshold:
        return None
    if window is not None and sighted_at(session, draft) - last_sighting(last) > window:
        return None
    return last


def clear_alarm(session: Session, draft: TicketDraft, target: correlate.Target | None, key: str | None,
                actor: Actor) -> Outcome:
    """The condition behind an alarm ended: resolve its ticket, or note it (``clear_policy``)."""
    from hub.tracker.comments import add_comment
    from hub.tracker.tickets import transition_ticket

    target = target or (correlate.peek_key(session, key) if key else None)
    if target is None:
        return Outcome("ignored", action="ignored", correlation_key=key,
                       reason="A clear, but nothing is open for this alarm.")
    ticket = target.ticket
    held_key = target.key.key if target.key else None
    when = draft.occurred_at.isoformat() if draft.occurred_at else "now"
    if draft.clear_policy == "resolve" and correlate.is_open(ticket):
        transition_ticket(session=session, ticket=ticket, to="resolved", actor=actor,
                          resolution=draft.comment or f"Cleared at the source ({when}).")
        return Outcome("applied", action="resolved", ticket=ticket, reason=f"Cleared: {target.reason}",
                       correlation_key=held_key)
    note = draft.comment or f"Cleared at the source ({when})."
    add_comment(session=session, ticket=ticket, body=note, visibility="internal", actor=actor)
    return Outcome("applied", action="noted", ticket=ticket, reason=f"Clear noted: {target.reason}",
                   correlation_key=held_key)
