"""Ingesting a burst of events in one transaction, with the repeats counted in bulk.

A line in trouble repeats the same alarm many times a second. Taking each repeat through
the full pipeline costs a handful of statements per event; this path stores the whole
burst in multi-row inserts and, for runs of consecutive repeats of one correlation key on
an open ticket, counts them with a single UPDATE. Everything else (a first occurrence, a
clear, a reopen, a comment, anything a plugin wants to see event by event) goes through
the ordinary per-event path, in the order the events arrived, so the outcome is exactly
what one-by-one ingestion gives.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.ingest.event_store import event_key, store_events
from hub.ingest.occurrences import correlation_window_of, last_sighting
from hub.ingest.pipeline import IngestResult, enrich, instance_info_of, process_event
from hub.models import InboundEvent
from hub.sdk.storable import storable
from hub.sdk.values import EventInfo, InstanceInfo, RawEvent, TicketDraft
from hub.tracker import correlate


@dataclass
class _Candidate:
    """A stored event whose one draft is an ``open`` with a correlation key."""

    info: EventInfo
    key: str
    draft: TicketDraft
    window: timedelta | None = None


def ingest_batch(*, session: Session, instance: Any, connector: Any, raws: list[RawEvent]) -> list[IngestResult]:
    """Store and apply ``raws`` in order; returns one result per raw (duplicates marked)."""
    runtime = runtime_of(session)
    view = instance_info_of(session, instance)
    stored = store_events(session, view.id, raws)
    now = runtime.now()
    results: dict[int, IngestResult] = {}
    # Repeats waiting to be counted, per key; flushed before anything that takes the
    # per-event path, so every event sees the effects of those before it.
    pending: dict[str, list[_Candidate]] = defaultdict(list)
    holders: dict[str, correlate.Target | None] = {}

    def flush() -> None:
        _count(session, {key: holders[key] for key in pending}, pending, results)
        pending.clear()

    # First read every event (normalize, enrich, key) and look up all their keys in one
    # query; the loop below then meets most repeats with their holder already known.
    read: list[tuple[EventInfo, _Candidate | None]] = []
    seen: set[str] = set()
    for raw in raws:
        key = event_key(raw)
        event_id = stored.get(key)
        if event_id is None or key in seen:
            continue
        seen.add(key)
        info = EventInfo(id=event_id, instance_id=view.id, idempotency_key=key, received_at=now,
                         payload=storable(raw.payload), body=raw.body, content_type=raw.content_type[:100],
                         meta=dict(storable(raw.meta or {})))
        read.append((info, _candidate(session, info, view, connector)))
    candidate_keys = {candidate.key for _, candidate in read if candidate is not None}
    found = correlate.peek_keys(session, candidate_keys)
    holders.update({key: found.get(key) for key in candidate_keys})

    for info, candidate in read:
        if candidate is not None:
            if candidate.key not in holders:
                holders[candidate.key] = correlate.peek_key(session, candidate.key)
            holder = holders[candidate.key]
            if holder is not None and correlate.is_open(holder.ticket) and \
                    _within_window(candidate, holder, pending.get(candidate.key), now):
                pending[candidate.key].append(candidate)
                continue
        flush()
        result = process_event(session=session, event_id=info.id, instance=instance, connector=connector, info=info)
        results[info.id] = result
        # The per-event path may have opened, resolved or reopened a ticket: forget what
        # was known of its key and of any key held by the ticket it touched.
        if candidate is not None:
            holders.pop(candidate.key, None)
        if result.ticket_ref:
            for key in [k for k, held in holders.items() if held is not None and held.ticket.ref == result.ticket_ref]:
                del holders[key]
    flush()
    out = []
    for raw in raws:
        event_id = stored.get(event_key(raw))
        if event_id is not None and event_id in results:
            out.append(results.pop(event_id))
        else:
            out.append(IngestResult(event_id=0, status="applied", duplicate=True))
    return out


def _candidate(session: Session, info: EventInfo, view: InstanceInfo, connector: Any) -> _Candidate | None:
    """Read the event; a plain repeatable ``open`` with a key can be counted in bulk."""
    plugins = runtime_of(session).plugins
    if plugins.has_impls("occurrence_recorded"):
        return None  # someone wants to see every occurrence one by one
    try:
        read = plugins.hook.normalize_event(event=info, instance=view, connector=connector)
    except Exception:
        return None  # the per-event path reads it again and quarantines it with the reason
    drafts = read if isinstance(read, list) else [read] if read is not None else []
    if len(drafts) != 1 or not isinstance(drafts[0], TicketDraft):
        return None
    draft = drafts[0]
    if draft.action != "open" or draft.ticket_ref or draft.thread_ids or draft.external_id or draft.attachments:
        return None
    if draft.department is None and view.department:
        draft.department = view.department
    enrich(session, draft, info, view)
    if draft.action != "open":
        return None
    raw_key = plugins.hook.correlation_key(draft=draft, event=info, instance=view)
    if not raw_key:
        return None
    try:
        window = correlation_window_of(draft)
    except ValueError:
        return None  # the per-event path quarantines it with the reason
    return _Candidate(info=info, key=correlate.scoped_key(view.id, str(raw_key)), draft=draft, window=window)


def _within_window(candidate: _Candidate, holder: correlate.Target, run: list[_Candidate] | None,
                   now: datetime) -> bool:
    """Whether the repeat still counts on its key's ticket: the ticket's last sighting is the
    last repeat waiting in this burst, if any, as one-by-one ingest would have recorded it."""
    if candidate.window is None:
        return True
    if run:
        last = run[-1].draft.occurred_at or now
        last = last if last.tzinfo is not None else last.replace(tzinfo=UTC)
    else:
        last = last_sighting(holder.ticket)
    at = candidate.draft.occurred_at or now
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return at - last <= candidate.window


def _count(session: Session, targets: dict[str, correlate.Target | None], runs: dict[str, list[_Candidate]],
           results: dict[int, IngestResult]) -> None:
    """Count the runs of repeats on their keys' open tickets: one UPDATE for the tickets and
    one executemany for the events, whatever the number of keys, with a reason each."""
    runs = {key: run for key, run in runs.items() if run}
    if not runs:
        return
    tickets: dict[str, Any] = {}
    counts: dict[int, tuple[int, Any]] = {}
    for key, run in runs.items():
        target = targets[key]
        assert target is not None
        ticket = tickets[key] = target.ticket
        last_seen = max((c.draft.occurred_at for c in run if c.draft.occurred_at), default=None)
        before, seen_before = counts.get(ticket.id, (0, None))
        counts[ticket.id] = (before + len(run), max(filter(None, (last_seen, seen_before)), default=None))
    totals = correlate.count_occurrences(session, counts)
    # Two keys held by one ticket share its count: number each key's run in turn.
    next_number = {ticket_id: totals[ticket_id] - counts[ticket_id][0] + 1 for ticket_id in counts}
    now = runtime_of(session).now()
    rows = []
    for key, run in runs.items():
        ticket = tickets[key]
        shown = key.split(":", 1)[1]
        for candidate in run:
            number = next_number[ticket.id]
            next_number[ticket.id] += 1
            reason = f"Occurrence {number} of {ticket.ref}: same correlation key {shown!r}."
            rows.append({"event_id": candidate.info.id, "event_reason": reason, "event_ticket": ticket.id,
                         "event_key": key})
            results[candidate.info.id] = IngestResult(event_id=candidate.info.id, status="applied",
                                                      action="occurrence", ticket_ref=ticket.ref, reason=reason)
    events = cast(Table, InboundEvent.__table__)  # a plain executemany, not the ORM bulk-by-primary-key form
    session.execute(
        update(events).where(events.c.id == bindparam("event_id")).values(
            status="applied", action="occurrence", reason=bindparam("event_reason"),
            ticket_id=bindparam("event_ticket"), correlation_key=bindparam("event_key"),
            attempts=events.c.attempts + 1, processed_at=now),
        rows,
    )
