"""Reading a batch of stored events that each open a new ticket, in a few statements for all.

A reader (hub.jobs.reader) reads up to a few hundred stored events at a time. Read one by
one, each costs its own savepoint, ticket INSERT, audit INSERT, plugin-data and timer
INSERTs, link INSERT and outcome UPDATE. Most backlogs are events that each open a ticket:
for such a batch this writes the tickets in one INSERT, then finishes each in arrival order
(its audit entry, links and the ``ticket_created`` hooks) with the writes held
(hub.tracker.held_writes), and writes what was held with one statement per table.

Only a batch of plain new tickets goes this way, decided before anything is written: each
event reads (``normalize_event``) as one ``open`` with a title, naming no ticket, no mail
thread and no correlation key, not a synced record, and no two name the same external
record. The per-event path's steps follow (hub.ingest.pipeline), in the same order per
event: enrich, correlation key, veto, create, link. If anything turns out otherwise (a key
from a plugin, a veto, a failing hook, a record linked already), :class:`RedoCarefully` is
raised: the reader rolls the batch back and reads it event by event, each outcome exact.

One difference a plugin can see: the enrich, key and veto hooks of the whole batch run
before its tickets are written, and the tickets are written before the first
``ticket_created`` hook runs (docs/hooks.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.ingest.drafts import values_from_draft
from hub.ingest.outcomes import Outcome, attach_files, joined, record_outcomes
from hub.ingest.pipeline import (
    correlation_key_of,
    draft_actor,
    first_veto,
    instance_info_of,
    prepare_draft,
    without_savepoint,
)
from hub.models import InboundEvent
from hub.sdk.values import EventInfo, IngestResult, InstanceInfo, TicketDraft
from hub.tracker import links
from hub.tracker.change_tasks import add_draft_targets
from hub.tracker.held_writes import holding_writes, write_held
from hub.tracker.info import event_info
from hub.tracker.ticket_create import build_ticket, finish_created


class _NotPlain(Exception):
    """An event of the batch turned out not to be a plain new ticket after its hooks ran."""


def read_together(session: Session, instance: Any, connector: Any, event_ids: list[int]) -> list[IngestResult] | None:
    """Apply the stored events ``event_ids`` (in this order) if each opens a plain new ticket.

    Returns one result per event; None, having written nothing, if some event is not plain
    (read them one by one). Raises :class:`RedoCarefully` if something fails once the
    hooks have run: the caller rolls back and reads the events one by one.
    """
    view = instance_info_of(session, instance)
    rows = {row.id: row for row in session.scalars(select(InboundEvent).where(InboundEvent.id.in_(event_ids)))}
    events = [event_info(rows[event_id]) for event_id in event_ids if event_id in rows]
    reads = _plain_reads(session, events, view, connector)
    if reads is None:
        return None
    return record_outcomes(session, without_savepoint(session, lambda: _apply(session, reads, instance, view)))


def _plain_reads(session: Session, events: list[EventInfo], view: InstanceInfo,
                 connector: Any) -> list[tuple[EventInfo, TicketDraft]] | None:
    """Each event with its one draft, if every event reads as a plain new ticket."""
    plugins = runtime_of(session).plugins
    reads: list[tuple[EventInfo, TicketDraft]] = []
    records: set[str] = set()
    for event in events:
        try:
            read = plugins.hook.normalize_event(event=event, instance=view, connector=connector)
        except Exception:
            return None  # the per-event path reads it again and quarantines it with the reason
        drafts = read if isinstance(read, list) else [read] if read is not None else []
        if len(drafts) != 1 or not isinstance(drafts[0], TicketDraft) or not _plain(drafts[0], records):
            return None
        if drafts[0].correlation_key or view.config.get("dedup_key"):
            return None  # keyed: a repeat counts on the ticket of the first (hub.ingest.occurrences)
        reads.append((event, drafts[0]))
    return reads


def _plain(draft: TicketDraft, records: set[str]) -> bool:
    """An ``open`` that can only make a new ticket; adds its external record to ``records``."""
    if draft.action != "open" or not draft.title or draft.ticket_ref or draft.thread_ids or "sync" in draft.extra:
        return False
    if draft.external_id:
        if draft.external_id in records:
            return False  # the second is about the first one's ticket
        records.add(draft.external_id)
    return True


def _apply(session: Session, reads: list[tuple[EventInfo, TicketDraft]], instance: Any,
           view: InstanceInfo) -> list[tuple[int, Outcome]]:
    """What :func:`hub.ingest.pipeline.apply_draft` does for a new ticket, a batch at a time."""
    records: set[str] = set()
    for event, draft in reads:  # as apply_draft: prepare, then the key and the veto
        prepare_draft(session, draft, event, view)
        if not _plain(draft, records) or correlation_key_of(session, draft, event, view) is not None:
            raise _NotPlain(f"event {event.id}: an enrich hook made it more than a new ticket")
        veto = first_veto(session, draft, view)
        if veto is not None:
            raise _NotPlain(f"event {event.id}: refused by {veto.plugin}")
    with holding_writes(session) as held:
        actors = [draft_actor(draft, view) for _, draft in reads]
        built = [build_ticket(session, kind=draft.kind, values=values_from_draft(draft), actor=actor,
                              source=view.connector, instance_id=view.id, create_loose=True)
                 for (_, draft), actor in zip(reads, actors, strict=True)]
        session.add_all([item.ticket for item in built])
        session.flush()  # one INSERT for the batch's tickets, returning their ids and references
        outcomes: list[tuple[int, Outcome]] = []
        for (event, draft), actor, item in zip(reads, actors, built, strict=True):
            ticket = finish_created(session, item, actor, thread_key=draft.thread_key, notes=draft.notes)
            add_draft_targets(session, ticket, draft.targets, actor)
            if draft.external_id:  # held: a record linked already fails the batch (LinkedBefore)
                links.link_unless_linked(session, ticket_id=ticket.id, instance_id=view.id,
                                         external_id=draft.external_id, url=draft.external_url,
                                         remote_version=draft.external_version)
            attach_files(session, draft, ticket, event, actor, comment_id=None)
            outcomes.append((event.id, Outcome("applied", action="created", ticket=ticket,
                                               reason=joined(draft.reason))))
        write_held(session, held)
    return outcomes
