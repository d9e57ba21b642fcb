"""From something a source delivered to a change of the tracker.

    raw event ─► stored (idempotent per instance and key) ─► normalize ─► enrich
      ─► correlate ─► apply (new ticket │ occurrence │ comment │ update │ transition)

The raw event is inserted first, in the same transaction as everything that follows,
and the reading of it runs in a savepoint: if reading or applying fails, the savepoint
is rolled back and the event is kept in quarantine with the reason, so nothing accepted
is ever lost and a fix can replay it. A re-delivery of a stored key returns the first
delivery's outcome and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.ingest.event_store import IdempotencyConflict as IdempotencyConflict  # re-exported
from hub.ingest.event_store import event_key, store_event
from hub.ingest.event_store import store_events as store_events  # re-exported
from hub.ingest.storable import storable
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Vetoed
from hub.sdk.values import DRAFT_ACTIONS, EventInfo, InstanceInfo, RawEvent, TicketDraft
from hub.tracker import correlate, links
from hub.tracker.outcome import Outcome as Outcome  # re-exported: the pipeline's result
from hub.tracker.states import MACHINES
from hub.tracker.tickets import create_ticket

log = logging.getLogger("hub.pipeline")

#: TicketDraft fields that are ticket values of the same name.
_VALUE_FIELDS = (
    "title", "description", "impact", "urgency", "priority", "requester_name", "requester_email",
    "department", "category", "ci", "ci_name", "ci_kind", "group", "assignee", "tags", "custom_fields",
    "change_type", "risk", "planned_start", "planned_end",
)
_DRAFT_FIELDS = {f.name for f in fields(TicketDraft)}


def draft_from_values(kind: str, values: Mapping[str, Any]) -> TicketDraft:
    known = {key: value for key, value in values.items() if key in _DRAFT_FIELDS}
    return TicketDraft(action="open", kind=kind, **known)


def values_from_draft(draft: TicketDraft) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _VALUE_FIELDS:
        value = getattr(draft, name)
        if value is None or value == [] or value == {}:
            continue
        values[name] = value
    if draft.kind != "change":
        for name in ("change_type", "risk", "planned_start", "planned_end"):
            values.pop(name, None)
    return values


@dataclass(frozen=True)
class Veto:
    plugin: str
    reason: str


def first_veto(session: Session, draft: TicketDraft, instance: InstanceInfo | None) -> Veto | None:
    """Ask every before_ticket_create implementation; the first reason given wins."""
    plugins = runtime_of(session).plugins
    if not plugins.has_impls("before_ticket_create"):
        return None
    # Called one by one (in pluggy's order) so the refusal can name its plugin.
    for impl in reversed(plugins.hook.before_ticket_create.get_hookimpls()):
        arguments = {"draft": draft, "instance": instance}
        reason = impl.function(*[arguments[name] for name in impl.argnames])
        if reason:
            return Veto(plugin=impl.plugin_name, reason=str(reason))
    return None


def enrich(session: Session, draft: TicketDraft, event: Any = None, instance: InstanceInfo | None = None) -> None:
    plugins = runtime_of(session).plugins
    if plugins.has_impls("enrich_ticket"):
        plugins.hook.enrich_ticket(draft=draft, event=event, instance=instance, session=session)


def open_ticket(
    *, session: Session, kind: str, values: Mapping[str, Any], actor: Actor, source: str = "api"
) -> Ticket:
    """Open a ticket from the API or a page: enrich hooks run and a plugin may refuse it."""
    draft = draft_from_values(kind, values)
    enrich(session, draft)
    veto = first_veto(session, draft, None)
    if veto is not None:
        raise Vetoed(veto.plugin, veto.reason)
    return create_ticket(session=session, kind=draft.kind, values=values_from_draft(draft), actor=actor,
                         source=source)


def ticket_by_id(session: Session, ticket_id: int) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.id == ticket_id))


# --------------------------------------------------------------------------------------
# Ingest: store, then read and apply in a savepoint.
# --------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    event_id: int
    status: str
    """``applied``, ``ignored``, ``quarantined`` or ``received`` (stored, not yet read)."""
    action: str | None = None
    ticket_ref: str | None = None
    reason: str | None = None
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "status": self.status, "action": self.action,
                "ticket": self.ticket_ref, "reason": self.reason, "duplicate": self.duplicate}


def result_of(session: Session, event_id: int, *, duplicate: bool = False) -> IngestResult:
    from hub.models import InboundEvent

    event = session.get(InboundEvent, event_id)
    assert event is not None
    ref = session.scalar(select(Ticket.ref).where(Ticket.id == event.ticket_id)) if event.ticket_id else None
    return IngestResult(event_id=event.id, status=event.status, action=event.action, ticket_ref=ref,
                        reason=event.reason, duplicate=duplicate)


def ingest(
    *, session: Session, instance: Any, connector: Any, raw: RawEvent, process: bool = True,
    refuse_changed: bool = False,
) -> IngestResult:
    """Store one event and (unless ``process`` is False) read and apply it.

    A re-delivery of a stored key returns the stored outcome and changes nothing. With
    ``refuse_changed`` (keys the sender chooses), a stored key with other content raises
    IdempotencyConflict (hub.ingest.event_store).
    """
    event_id, new = store_event(session, instance.id, raw, refuse_changed=refuse_changed)
    if not new:
        return result_of(session, event_id, duplicate=True)
    if not process:
        return IngestResult(event_id=event_id, status="received")
    stored = EventInfo(id=event_id, instance_id=instance.id, idempotency_key=event_key(raw),
                       received_at=runtime_of(session).now(), payload=storable(raw.payload), body=raw.body,
                       content_type=raw.content_type[:100], meta=dict(storable(raw.meta or {})))
    return process_event(session=session, event_id=event_id, instance=instance, connector=connector, info=stored)


def process_event(*, session: Session, event_id: int, instance: Any, connector: Any,
                  info: EventInfo | None = None) -> IngestResult:
    """Read a stored event and apply it; failures leave it quarantined with the reason.

    ``info`` is the event as just stored, saving a read when the caller has it.
    """
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    from hub.models import InboundEvent
    from hub.sdk.errors import ConnectorError
    from hub.sdk.tracker_errors import TrackerError
    from hub.tracker.info import event_info

    if info is None:
        event = session.get(InboundEvent, event_id)
        assert event is not None
        info = event_info(event)
    instance_view = instance_info_of(session, instance)
    outcome: Outcome
    try:
        with session.begin_nested():
            outcome = _read_and_apply(session, info, instance, instance_view, connector)
    except (ConnectorError, TrackerError, ValueError, LookupError) as exc:
        outcome = Outcome("quarantined", reason=_reason(exc))
    except (OperationalError, InterfaceError):
        raise  # the database is away: roll the whole request back (503), it is no fault of the event
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        log.exception("event %s of %s could not be processed", event_id, instance.slug)
        outcome = Outcome("quarantined", reason=f"internal error: {type(exc).__name__}: {exc}"[:2000])
    except Exception as exc:  # a bug in a connector: keep the event, say so, go on
        log.exception("event %s of %s could not be processed", event_id, instance.slug)
        outcome = Outcome("quarantined", reason=f"internal error: {type(exc).__name__}: {exc}"[:2000])
    session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(
        status=outcome.status, action=outcome.action, reason=outcome.reason,
        ticket_id=outcome.ticket.id if outcome.ticket is not None else None,
        correlation_key=outcome.correlation_key, attempts=InboundEvent.attempts + 1,
        processed_at=runtime_of(session).now()).execution_options(synchronize_session=False))
    return IngestResult(event_id=event_id, status=outcome.status, action=outcome.action,
                        ticket_ref=outcome.ticket.ref if outcome.ticket is not None else None, reason=outcome.reason)


def _reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    text = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if errors:
        text += " " + "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
    return str(text)[:2000]


def instance_info_of(session: Session, instance: Any) -> InstanceInfo:
    if isinstance(instance, InstanceInfo):
        return instance
    from hub.plugins.instances import instance_info

    return instance_info(session, instance)


def _read_and_apply(session: Session, event: Any, instance: Any, view: InstanceInfo, connector: Any) -> Outcome:
    plugins = runtime_of(session).plugins
    read = plugins.hook.normalize_event(event=event, instance=view, connector=connector)
    drafts = read if isinstance(read, list) else [read] if read is not None else []
    if not drafts:
        return Outcome("ignored", reason="The connector found nothing to do in this event.")
    outcome = Outcome("ignored")
    for draft in drafts:
        if not isinstance(draft, TicketDraft):
            raise ValueError(f"normalize returned {type(draft).__name__}, not a TicketDraft")
        outcome = apply_draft(session, draft, event=event, instance=instance, view=view)
    return outcome


def draft_actor(draft: TicketDraft, view: InstanceInfo) -> Actor:
    """Who made the change: the person named by the event, through this instance."""
    person = draft.requester_name or draft.requester_email
    if person and draft.action in ("comment", "open"):
        return Actor(type="requester", name=person, origin=f"connector:{view.slug}", id=draft.requester_email,
                     instance_id=view.id)
    return Actor.connector(instance_id=view.id, instance_slug=view.slug, name=view.name)


def apply_draft(session: Session, draft: TicketDraft, *, event: Any, instance: Any, view: InstanceInfo) -> Outcome:
    """Apply one draft: find the ticket it concerns, then open, count, comment, update or move it."""
    if draft.action not in DRAFT_ACTIONS:
        raise ValueError(f"unknown draft action {draft.action!r}; use one of {', '.join(DRAFT_ACTIONS)}")
    if draft.department is None and view.department:
        draft.department = view.department
    enrich(session, draft, event, view)
    if draft.action == "ignore":
        return Outcome("ignored", action="ignored", reason=draft.reason or "The connector ignored it.")
    target = _explicit_target(session, draft, view)
    key = None
    if target is None and draft.action in ("open", "clear"):
        raw_key = runtime_of(session).plugins.hook.correlation_key(draft=draft, event=event, instance=view)
        key = correlate.scoped_key(view.id, str(raw_key)) if raw_key else None
    actor = draft_actor(draft, view)
    if draft.action == "clear":
        target = target or (correlate.peek_key(session, key) if key else None)
        if target is None:
            return Outcome("ignored", action="ignored", correlation_key=key,
                           reason="A clear, but nothing is open for this alarm.")
        return _clear(session, draft, target, actor)
    if target is not None:
        return _apply_to(session, draft, target, actor, event)
    if not draft.title:
        raise LookupError("The event names no ticket the hub knows and has no title to open one with.")
    if key:
        owned, held = correlate.claim_key(session, key, reopen=draft.reopen_on_repeat)
        if held is not None:
            return _occurrence(session, draft, held, event, key, view)
        if not owned:
            raise RuntimeError(f"correlation key {key} is contended; replay the event")
        recent = _flapping_ticket(session, draft, key)
        if recent is not None:
            correlate.bind_key(session, key, recent.id)
            return _occurrence(session, draft, correlate.Target(recent, "correlation", "flapping"), event, key, view)
    veto = first_veto(session, draft, view)
    if veto is not None:
        if key:
            correlate.release_key(session, key)
        return Outcome("ignored", action="vetoed", correlation_key=key,
                       reason=f"Refused by plugin {veto.plugin}: {veto.reason}")
    status = draft.status if draft.status and draft.action == "update" else None
    ticket = create_ticket(session=session, kind=draft.kind, values=values_from_draft(draft), actor=actor,
                           source=view.connector, instance_id=view.id, status=status, correlation_key=key,
                           create_loose=True, thread_key=draft.thread_key)
    if key:
        correlate.bind_key(session, key, ticket.id)
    if draft.external_id:
        link = links.link_ticket(session, ticket_id=ticket.id, instance_id=view.id, external_id=draft.external_id,
                                 url=draft.external_url, remote_version=draft.external_version, new_ticket=True)
        if draft.extra.get("sync"):
            from hub.sync import remember_created

            remember_created(session, link, draft, actor)
    correlate.remember_thread_key(session, ticket.id, draft.thread_key)
    _attach(session, draft, ticket, event, actor, comment_id=None)
    return Outcome("applied", action="created", ticket=ticket, correlation_key=key, reason=draft.reason)


def _attach(session: Session, draft: TicketDraft, ticket: Ticket, event: Any, actor: Actor,
            comment_id: int | None) -> list[str]:
    """Keep the draft's files; one that breaks a limit is skipped and named in the result."""
    from hub.sdk.tracker_errors import ValidationFailed
    from hub.tracker.attachments import store_attachment

    skipped: list[str] = []
    for item in draft.attachments:
        try:
            store_attachment(session, ticket=ticket, filename=item.filename, content_type=item.content_type,
                             data=item.data, comment_id=comment_id, event_id=getattr(event, "id", None),
                             inline=item.inline, content_id=item.content_id, actor=actor,
                             visibility="internal" if draft.comment_visibility == "internal" else "public")
        except ValidationFailed as exc:
            skipped.extend(message for messages in exc.errors.values() for message in messages)
    return skipped


def _explicit_target(session: Session, draft: TicketDraft, view: InstanceInfo) -> correlate.Target | None:
    # A reply's own thread (message ids the hub sent or saw) outranks a tag in its subject.
    target = correlate.by_thread(session, draft.thread_ids) if draft.thread_ids else None
    if target is None and draft.ticket_ref:
        target = correlate.by_ref(session, draft.ticket_ref, sender=draft.requester_email,
                                  require_participant=draft.require_participant)
    if target is None and draft.external_id:
        target = correlate.by_link(session, view.id, draft.external_id)
    our_ref = (draft.extra.get("sync") or {}).get("our_ref") if target is None else None
    if our_ref:
        # A remote record the hub made (its reference travels with it), seen before the
        # answer to the create was recorded: the same ticket, never a second one.
        target = correlate.by_ref(session, str(our_ref), sender=None, require_participant=False)
    return target


def _reopen_if_resolved(session: Session, ticket: Ticket, actor: Actor, note: str) -> bool:
    from hub.tracker.tickets import transition_ticket

    if ticket.status != "resolved" or ticket.kind != "incident":
        return False
    transition_ticket(session=session, ticket=ticket, to="in_progress", actor=actor, note=note)
    return True


def _apply_to(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor, event: Any) -> Outcome:
    """The event concerns a known ticket: comment on it, update it or move it."""
    from hub.tracker.comments import add_comment
    from hub.tracker.tickets import transition_ticket, update_ticket

    ticket = target.ticket
    correlate.remember_thread_key(session, ticket.id, draft.thread_key)
    if draft.action == "transition":
        if not draft.status:
            raise ValueError("a transition draft needs a status")
        transition_ticket(session=session, ticket=ticket, to=draft.status, actor=actor, note=draft.comment)
        return Outcome("applied", action="transitioned", ticket=ticket, reason=target.reason)
    if draft.action == "update" and draft.extra.get("sync"):
        # Two-way sync: the sync engine decides field by field (direction, conflicts, echoes).
        from hub.sync import apply_remote_update

        return apply_remote_update(session, draft, target, actor, event)
    if draft.action == "update":
        values = {name: value for name, value in values_from_draft(draft).items() if name != "title" or value}
        update_ticket(session=session, ticket=ticket, values=values, actor=actor, create_loose=True)
        if draft.status and draft.status != ticket.status:
            transition_ticket(session=session, ticket=ticket, to=draft.status, actor=actor)
        if draft.comment:
            add_comment(session=session, ticket=ticket, body=draft.comment, visibility=draft.comment_visibility,
                        actor=actor)
        return Outcome("applied", action="updated", ticket=ticket, reason=target.reason)
    body = draft.comment or draft.description or draft.title
    held = _needs_review(draft, ticket)
    if held:
        return _hold_for_review(session, draft, target, actor, event, body, held)
    if not ticket.status or ticket.status in MACHINES[ticket.kind].final_states:
        reason = f"{ticket.ref} is {ticket.status}; the reply is kept on it as a note."
        add_comment(session=session, ticket=ticket, body=body, visibility="internal", actor=actor)
        return Outcome("applied", action="commented", ticket=ticket, reason=_joined(reason, draft.reason))
    reopened = draft.reopen_on_repeat and _reopen_if_resolved(session, ticket, actor, "Reopened by a reply.")
    comment = add_comment(session=session, ticket=ticket, body=body, visibility=draft.comment_visibility, actor=actor)
    _attach(session, draft, ticket, event, actor, comment_id=comment.id)
    return Outcome("applied", action="reopened" if reopened else "commented", ticket=ticket,
                   reason=_joined(target.reason, draft.reason))


REVIEW_TAG = "needs-review"


def _needs_review(draft: TicketDraft, ticket: Ticket) -> str | None:
    """Why a reply must wait for an agent: its sender failed a check, or is not proven and
    it would reopen the ticket. A forged reply must not speak for the requester."""
    if draft.sender_check in (None, "pass"):
        return None
    note = draft.sender_check_note or "no verdict"
    if draft.sender_check == "fail":
        return f"Held for review: the sender failed authentication ({note}); the reply may be forged."
    if draft.reopen_on_repeat and ticket.status == "resolved" and ticket.kind == "incident":
        return f"Held for review: a reply whose sender is not proven ({note}) would reopen {ticket.ref}."
    return None


def _hold_for_review(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor, event: Any,
                     body: str, why: str) -> Outcome:
    """Keep the reply as an internal note, tag the ticket for review, change nothing else, audit why."""
    from hub.tracker.audit import record
    from hub.tracker.comments import add_comment
    from hub.tracker.tickets import update_ticket

    ticket = target.ticket
    draft.comment_visibility = "internal"  # its files too
    comment = add_comment(session=session, ticket=ticket, body=body, visibility="internal", actor=actor)
    _attach(session, draft, ticket, event, actor, comment_id=comment.id)
    channel = Actor(type="connector", name=actor.origin.removeprefix("connector:"), origin=actor.origin,
                    id=str(actor.instance_id) if actor.instance_id else None, instance_id=actor.instance_id)
    if REVIEW_TAG not in (ticket.tags or []):
        update_ticket(session=session, ticket=ticket, values={"tags": [*(ticket.tags or []), REVIEW_TAG]},
                      actor=channel)
    record(session, ticket, "held_for_review", channel, {"comment_id": comment.id, "sender": actor.id},
           note=f"{why} Kept as an internal note and the ticket left as it was; publish the note or reopen the "
           f"ticket once the sender is confirmed, then remove the tag {REVIEW_TAG}.")
    return Outcome("applied", action="commented", ticket=ticket, reason=_joined(target.reason, why, draft.reason))


def _joined(*reasons: str | None) -> str | None:
    """Why the event went where it did, and what the connector noted while reading it."""
    return " ".join(reason for reason in reasons if reason) or None


def _raises_within(session: Session, key: str, minutes: float) -> int:
    """How often the problem behind a key came up in the last ``minutes``: tickets opened
    for it plus reopenings of them."""
    from datetime import timedelta

    from sqlalchemy import func

    from hub.models import AuditEvent

    since = runtime_of(session).now() - timedelta(minutes=minutes)
    opened = session.scalar(select(func.count(Ticket.id)).where(Ticket.correlation_key == key,
                                                                Ticket.created_at >= since)) or 0
    reopened = session.scalar(select(func.count(AuditEvent.id)).join(Ticket, Ticket.id == AuditEvent.ticket_id).where(
        Ticket.correlation_key == key, AuditEvent.action == "reopened", AuditEvent.at >= since)) or 0
    return int(opened) + int(reopened)


def _flapping_ticket(session: Session, draft: TicketDraft, key: str) -> Ticket | None:
    """Under a "new ticket after a clear" policy, the last ticket of a key that flaps: it is
    reopened instead of opening yet another one."""
    if not draft.flap_threshold or draft.reopen_on_repeat:
        return None
    from datetime import timedelta

    since = runtime_of(session).now() - timedelta(minutes=draft.flap_minutes)
    last = session.scalar(select(Ticket).where(Ticket.correlation_key == key, Ticket.status == "resolved",
                                               Ticket.resolved_at >= since).order_by(Ticket.id.desc()).limit(1))
    if last is None or _raises_within(session, key, draft.flap_minutes) + 1 < draft.flap_threshold:
        return None
    return last


def _occurrence(session: Session, draft: TicketDraft, target: correlate.Target, event: Any, key: str,
                view: InstanceInfo) -> Outcome:
    ticket = target.ticket
    actor = Actor.connector(instance_id=view.id, instance_slug=view.slug, name=view.name)
    count = correlate.record_occurrence(session, ticket, draft.occurred_at)
    reopened = _reopen_if_resolved(session, ticket, actor, "Reopened: the problem came back.")
    flapping = ""
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


def _clear(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor) -> Outcome:
    from hub.tracker.comments import add_comment
    from hub.tracker.tickets import transition_ticket

    ticket = target.ticket
    when = draft.occurred_at.isoformat() if draft.occurred_at else "now"
    if draft.clear_policy == "resolve" and correlate.is_open(ticket):
        transition_ticket(session=session, ticket=ticket, to="resolved", actor=actor,
                          resolution=draft.comment or f"Cleared at the source ({when}).")
        return Outcome("applied", action="resolved", ticket=ticket, reason=f"Cleared: {target.reason}",
                       correlation_key=target.key.key if target.key else None)
    note = draft.comment or f"Cleared at the source ({when})."
    add_comment(session=session, ticket=ticket, body=note, visibility="internal", actor=actor)
    return Outcome("applied", action="noted", ticket=ticket, reason=f"Clear noted: {target.reason}",
                   correlation_key=target.key.key if target.key else None)


def replay_event(*, session: Session, event_id: int) -> IngestResult:
    """Read a quarantined or ignored event again (after a fix to the connector or config)."""
    from hub.models import ConnectorInstance, InboundEvent
    from hub.plugins.instances import build_connector
    from hub.sdk.tracker_errors import Conflict, NotFound

    event = session.get(InboundEvent, event_id)
    if event is None:
        raise NotFound(f"No event {event_id}.")
    if event.status not in ("quarantined", "ignored", "received"):
        raise Conflict(f"Event {event_id} was {event.status}; only quarantined, ignored or unread events replay.")
    instance = session.get(ConnectorInstance, event.instance_id)
    assert instance is not None
    connector = build_connector(session, instance)
    try:
        return process_event(session=session, event_id=event_id, instance=instance, connector=connector)
    finally:
        connector.close()
