"""From something a source delivered to a change of the tracker.

    raw event ─► stored (idempotent per instance and key) ─► normalize ─► enrich
      ─► correlate ─► apply (new ticket │ occurrence │ comment │ update │ transition)

The raw event is inserted first, in the same transaction as everything that follows,
and the reading of it runs in a savepoint: the plugins' hooks share it (one per hook
would cost two statements each; if a hook fails, the event is read again with a
savepoint per hook, so the plugin's failure is its own). If reading or applying fails, the savepoint
is rolled back and the event is kept in quarantine with the reason, so nothing accepted
is ever lost and a fix can replay it. A caller whose transaction holds this one event and
nothing else (a webhook request) may skip even that savepoint (``alone``): on any failure it
rolls its whole transaction back and does the event again with it (:class:`RedoCarefully`).
A re-delivery of a stored key returns the first delivery's outcome and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import HeldFailure, StartCarefully, hooks_share_savepoint, runtime_of
from hub.ingest.drafts import draft_from_values as draft_from_values  # re-exported
from hub.ingest.drafts import values_from_draft
from hub.ingest.event_store import IdempotencyConflict as IdempotencyConflict  # re-exported
from hub.ingest.event_store import event_key, store_event
from hub.ingest.event_store import store_events as store_events  # re-exported
from hub.ingest.known_tickets import apply_to_known
from hub.ingest.occurrences import KeyClaim, clear_alarm, correlation_window_of, count_or_claim, give_back_key
from hub.ingest.outcomes import Outcome as Outcome  # re-exported: the sync engine answers with it
from hub.ingest.outcomes import attach_files, joined, record_outcome
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.storable import storable
from hub.sdk.tracker_errors import Vetoed
from hub.sdk.values import DRAFT_ACTIONS, EventInfo, InstanceInfo, RawEvent, TicketDraft
from hub.sdk.values import IngestResult as IngestResult  # re-exported: the API, jobs and listeners answer with it
from hub.tracker import correlate, links
from hub.tracker.change_tasks import add_draft_targets
from hub.tracker.languages import usable_language
from hub.tracker.ticket_rules import PROBLEM_FIELDS
from hub.tracker.tickets import create_ticket

log = logging.getLogger("hub.ingest.pipeline")
T = TypeVar("T")


class RedoCarefully(StartCarefully):
    """An event read without a savepoint (``ingest(alone=True)``) did not go through cleanly:
    the caller rolls its whole transaction back, the stored event with it, and calls
    :func:`ingest` again without ``alone``. Cheaper than a savepoint pair on every event,
    since failures are rare (issue 23: a new ticket's statement budget)."""


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
    created = values_from_draft(draft)
    if draft.kind == "problem":
        # A problem's own fields are no draft's (sources never send them): they pass as given.
        created.update({name: values[name] for name in PROBLEM_FIELDS if name in values})
    ticket = create_ticket(session=session, kind=draft.kind, values=created, actor=actor, source=source,
                           notes=draft.notes)
    add_draft_targets(session, ticket, draft.targets, actor)
    return ticket


def ticket_by_id(session: Session, ticket_id: int) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.id == ticket_id))


# --------------------------------------------------------------------------------------
# Ingest: store, then read and apply in a savepoint.
# --------------------------------------------------------------------------------------


def ingest(
    *, session: Session, instance: Any, connector: Any, raw: RawEvent, process: bool = True,
    refuse_changed: bool = False, alone: bool = False,
) -> IngestResult:
    """Store one event and (unless ``process`` is False) read and apply it.

    A re-delivery of a stored key returns the stored outcome and changes nothing. With
    ``refuse_changed`` (keys the sender chooses), a stored key with other content raises
    IdempotencyConflict (hub.ingest.event_store). ``alone``: the caller's transaction holds
    only this event, so it is read without a savepoint and any failure raises
    :class:`RedoCarefully` for the caller to roll back and call again without ``alone``.
    """
    event_id, earlier = store_event(session, instance.id, raw, refuse_changed=refuse_changed)
    if earlier is not None:
        return earlier
    if not process:
        return IngestResult(event_id=event_id, status="received")
    stored = EventInfo(id=event_id, instance_id=instance.id, idempotency_key=event_key(raw),
                       received_at=runtime_of(session).now(), payload=storable(raw.payload), body=raw.body,
                       content_type=raw.content_type[:100], meta=dict(storable(raw.meta or {})))
    return process_event(session=session, event_id=event_id, instance=instance, connector=connector, info=stored,
                         savepoint=not alone)


def without_savepoint(session: Session, work: Callable[[], T]) -> T:
    """Do ``work`` with no savepoint at all: any failure raises :class:`RedoCarefully`; the
    failures of hooks that wrote nothing are recorded once the work stands."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    try:
        with hooks_share_savepoint() as held:
            result = work()
    except (OperationalError, InterfaceError):
        raise  # the database is away: the request answers 503, a job is retried
    except (StartCarefully, Exception) as exc:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise
        raise RedoCarefully() from exc
    for plugin, hook, failure in held:
        runtime_of(session).plugins.failures.record(plugin, hook, failure)
    return result


def process_event(*, session: Session, event_id: int, instance: Any, connector: Any,
                  info: EventInfo | None = None, savepoint: bool = True) -> IngestResult:
    """Read a stored event and apply it; failures leave it quarantined with the reason.

    ``info`` is the event as just stored, saving a read when the caller has it. Without
    ``savepoint`` (the caller's transaction holds only this event) any failure raises
    :class:`RedoCarefully` instead: there is nothing to roll back to short of the whole.
    """
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
    held: list[HeldFailure] = []
    if not savepoint:
        outcome = without_savepoint(session, lambda: _read_and_apply(session, info, instance, instance_view,
                                                                     connector, optimistic=True))
        return record_outcome(session, event_id, outcome)
    try:
        try:
            with session.begin_nested(), hooks_share_savepoint() as held:
                outcome = _read_and_apply(session, info, instance, instance_view, connector, optimistic=True)
        except StartCarefully:
            # A plugin failed with only this savepoint around its writes, or a guess of the
            # first pass did not hold (rolled back now): again, with each hook in a savepoint
            # of its own (a failure is the plugin's alone) and nothing guessed.
            held = []  # this pass records its own
            with session.begin_nested():
                outcome = _read_and_apply(session, info, instance, instance_view, connector)
        finally:
            for plugin, hook, failure in held:
                runtime_of(session).plugins.failures.record(plugin, hook, failure)
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
    return record_outcome(session, event_id, outcome)


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


def _read_and_apply(session: Session, event: Any, instance: Any, view: InstanceInfo, connector: Any, *,
                    optimistic: bool = False) -> Outcome:
    plugins = runtime_of(session).plugins
    read = plugins.hook.normalize_event(event=event, instance=view, connector=connector)
    drafts = read if isinstance(read, list) else [read] if read is not None else []
    if not drafts:
        return Outcome("ignored", reason="The connector found nothing to do in this event.")
    outcome = Outcome("ignored")
    for draft in drafts:
        if not isinstance(draft, TicketDraft):
            raise ValueError(f"normalize returned {type(draft).__name__}, not a TicketDraft")
        outcome = apply_draft(session, draft, event=event, instance=instance, view=view,
                              optimistic=optimistic and len(drafts) == 1)
    return outcome


def draft_actor(draft: TicketDraft, view: InstanceInfo) -> Actor:
    """Who made the change: the person named by the event, through this instance."""
    person = draft.requester_name or draft.requester_email
    if person and draft.action in ("comment", "open"):
        return Actor(type="requester", name=person, origin=f"connector:{view.slug}", id=draft.requester_email,
                     instance_id=view.id)
    return Actor.connector(instance_id=view.id, instance_slug=view.slug, name=view.name)


def apply_draft(session: Session, draft: TicketDraft, *, event: Any, instance: Any, view: InstanceInfo,
                optimistic: bool = False) -> Outcome:
    """Apply one draft: find the ticket it concerns, then open, count, comment, update or move it.

    ``optimistic`` (the first pass of :func:`process_event`, under a savepoint it can roll
    back): an ``open`` naming an external record guesses the record is new instead of
    looking it up, and raises StartCarefully when the guess fails.
    """
    prepare_draft(session, draft, event, view)
    if draft.action == "ignore":
        return Outcome("ignored", action="ignored", reason=draft.reason or "The connector ignored it.")
    # Not for a draft without a title: for it, a known record is the only way forward.
    guess_new = (optimistic and draft.action == "open" and bool(draft.external_id) and bool(draft.title)
                 and "sync" not in draft.extra)
    target, key = _find_target(session, draft, event, view, guess_new=guess_new)
    actor = draft_actor(draft, view)
    if draft.action == "clear":
        return clear_alarm(session, draft, target, key, actor)
    if target is not None:
        return apply_to_known(session, draft, target, actor, event)
    if not draft.title:
        raise LookupError("The event names no ticket the hub knows and has no title to open one with.")
    claim = count_or_claim(session, draft, event, key, view) if key else KeyClaim()
    if claim.outcome is not None:
        return claim.outcome
    return _open_new(session, draft, event, view, actor, key, claim, guessed_new=guess_new and not key)


def prepare_draft(session: Session, draft: TicketDraft, event: Any, view: InstanceInfo) -> None:
    """Check what the connector wrote, give the instance's department, and let plugins enrich it."""
    if draft.action not in DRAFT_ACTIONS:
        raise ValueError(f"unknown draft action {draft.action!r}; use one of {', '.join(DRAFT_ACTIONS)}")
    correlation_window_of(draft)  # a bad window is refused before anything is changed
    if draft.department is None and view.department:
        draft.department = view.department
    enrich(session, draft, event, view)
    # A language the hub does not speak is no reason to lose a report: the default speaks to them.
    draft.language = usable_language(session, draft.language)


def _find_target(session: Session, draft: TicketDraft, event: Any, view: InstanceInfo, *,
                 guess_new: bool = False) -> tuple[correlate.Target | None, str | None]:
    """The ticket the draft names, and (for an ``open`` or ``clear``) its scoped correlation key.

    A reply's own thread and a reference in its text name a ticket before anything else. An
    ``open`` with a correlation key is then decided by the key alone: its own ``external_id``
    (one per event at many sources) must not turn a repeat into a comment on the linked ticket.
    """
    target = _referenced(session, draft)
    if target is not None or draft.action not in ("open", "clear"):
        return target or _linked(session, draft, view), None
    if draft.action == "open":
        key = correlation_key_of(session, draft, event, view)
        if key or guess_new:
            return None, key
        return _linked(session, draft, view), None
    target = _linked(session, draft, view)
    return target, None if target is not None else correlation_key_of(session, draft, event, view)


def _referenced(session: Session, draft: TicketDraft) -> correlate.Target | None:
    # A reply's own thread (message ids the hub sent or saw) outranks a tag in its subject.
    target = correlate.by_thread(session, draft.thread_ids) if draft.thread_ids else None
    if target is None and draft.ticket_ref:
        target = correlate.by_ref(session, draft.ticket_ref, sender=draft.requester_email,
                                  require_participant=draft.require_participant)
    return target


def _linked(session: Session, draft: TicketDraft, view: InstanceInfo) -> correlate.Target | None:
    target = correlate.by_link(session, view.id, draft.external_id) if draft.external_id else None
    our_ref = (draft.extra.get("sync") or {}).get("our_ref") if target is None else None
    if our_ref:
        # A remote record the hub made (its reference travels with it), seen before the
        # answer to the create was recorded: the same ticket, never a second one.
        target = correlate.by_ref(session, str(our_ref), sender=None, require_participant=False)
    return target


def correlation_key_of(session: Session, draft: TicketDraft, event: Any, view: InstanceInfo) -> str | None:
    raw_key = runtime_of(session).plugins.hook.correlation_key(draft=draft, event=event, instance=view)
    return correlate.scoped_key(view.id, str(raw_key)) if raw_key else None


def _open_new(session: Session, draft: TicketDraft, event: Any, view: InstanceInfo, actor: Actor, key: str | None,
              claim: KeyClaim, *, guessed_new: bool = False) -> Outcome:
    """Make the ticket (unless a plugin refuses it), bind its key, link it, keep its files.

    ``guessed_new``: the external record was not looked up (see :func:`apply_draft`).
    """
    veto = first_veto(session, draft, view)
    if veto is not None:
        if guessed_new:
            raise StartCarefully()  # a veto of a new ticket; a known record's event is no new ticket
        if key:
            give_back_key(session, key, claim)
        return Outcome("ignored", action="vetoed", correlation_key=key,
                       reason=f"Refused by plugin {veto.plugin}: {veto.reason}")
    status = draft.status if draft.status and draft.action == "update" else None
    if draft.action == "update" and "sync" in draft.extra:
        from hub.sync.inbound import drop_unknown_names

        drop_unknown_names(session, draft)
    ticket = create_ticket(session=session, kind=draft.kind, values=values_from_draft(draft), actor=actor,
                           source=view.connector, instance_id=view.id, status=status, correlation_key=key,
                           create_loose=True, thread_key=draft.thread_key, notes=draft.notes)
    add_draft_targets(session, ticket, draft.targets, actor)
    if key:
        correlate.bind_key(session, key, ticket.id)
    # Under a key the link was not looked up: a record already linked (to the ticket whose
    # window passed) stays with that ticket.
    if guessed_new:
        assert draft.external_id
        if not links.link_unless_linked(session, ticket_id=ticket.id, instance_id=view.id,
                                        external_id=draft.external_id, url=draft.external_url,
                                        remote_version=draft.external_version):
            raise StartCarefully()  # the record is linked to a ticket: this event is about that one
    elif draft.external_id and not (key and correlate.is_linked(session, view.id, draft.external_id)):
        link = links.link_ticket(session, ticket_id=ticket.id, instance_id=view.id, external_id=draft.external_id,
                                 url=draft.external_url, remote_version=draft.external_version, new_ticket=True)
        if draft.extra.get("sync"):
            from hub.sync import remember_created

            remember_created(session, link, draft, actor)
    attach_files(session, draft, ticket, event, actor, comment_id=None)
    return Outcome("applied", action="created", ticket=ticket, correlation_key=key,
                   reason=joined(claim.reason, draft.reason))


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
