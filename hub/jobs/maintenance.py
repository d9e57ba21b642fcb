"""The hub's own periodic housekeeping, registered like any plugin's schedules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from hub.jobs.tasks import current_runtime
from hub.models import InboundEvent, OutboxMessage
from hub.plugins.connector_services import purge_replay_guards

DELIVERED_KEEP_DAYS = 14
STUCK_AFTER_SECONDS = 60
#: A flapping problem not seen for this long is flapping no more (a repeat within a
#: connector's own, shorter flapping window clears it sooner: hub.ingest.occurrences).
FLAPPING_QUIET = timedelta(hours=1)
#: Events whose content one transaction of the retention job removes: small, so ingest
#: (SQLite's single writer above all) never waits long behind it.
PRUNE_BATCH = 500
#: One run stops after this long; the next hour's run goes on where it stopped.
PRUNE_SECONDS = 60.0


def purge_expired() -> dict[str, int]:
    """Forget webhook signatures past their window and delivered messages older than two weeks."""
    runtime = current_runtime()
    with runtime.db.transaction() as session:
        guards = purge_replay_guards(session)
        cutoff = runtime.now() - timedelta(days=DELIVERED_KEEP_DAYS)
        result = session.execute(delete(OutboxMessage).where(OutboxMessage.status == "delivered",
                                                             OutboxMessage.delivered_at < cutoff))
        return {"replay_guards": guards, "delivered_messages": int(result.rowcount or 0)}  # type: ignore[attr-defined]


def fire_timers() -> int:
    """Fire the ticket timers whose moment has come (SLA warnings, breaches, reminders)."""
    from hub.tracker.timers import fire_due_timers

    return fire_due_timers(current_runtime())


def process_stuck_events() -> int:
    """Read events stored but never read (their job was lost with Redis): nothing waits forever."""
    from hub.jobs.queues import enqueue_once, job_id
    from hub.jobs.tasks import process_event

    runtime = current_runtime()
    cutoff = runtime.now() - timedelta(seconds=STUCK_AFTER_SECONDS)
    with runtime.db.reading() as session:
        ids = list(session.scalars(select(InboundEvent.id).where(
            InboundEvent.status == "received", InboundEvent.received_at < cutoff).limit(1000)))
    for event_id in ids:
        enqueue_once(runtime, "ingest", process_event, event_id, job_id=job_id(runtime, "event", event_id))
    return len(ids)


def clear_quiet_flapping(limit: int = 500) -> int:
    """Clear the flapping mark of problems quiet for FLAPPING_QUIET, with an audit entry each."""
    from hub.models import Ticket
    from hub.sdk.actors import Actor
    from hub.tracker import audit

    runtime = current_runtime()
    cutoff = runtime.now() - FLAPPING_QUIET
    with runtime.db.transaction() as session:
        quiet = list(session.scalars(select(Ticket).where(Ticket.flapping.is_(True), Ticket.last_seen_at < cutoff)
                                     .order_by(Ticket.id).limit(limit)))
        for ticket in quiet:
            ticket.flapping = False
            audit.record(session, ticket, "updated", Actor.system(), {"flapping": (True, False)},
                         f"Not seen for over {FLAPPING_QUIET.total_seconds() / 60:g} minutes: no longer flapping.")
        return len(quiet)


def prune_raw_events() -> int:
    """Remove the raw content of events older than EVENT_RETENTION_DAYS that were applied or
    ignored, batch by batch; the rows stay (key, outcome, ticket). Returns how many."""
    import time

    from sqlalchemy import null, or_, update

    from hub.ingest.event_store import PRUNED

    runtime = current_runtime()
    days = int(runtime.settings["EVENT_RETENTION_DAYS"])
    if days <= 0:
        return 0
    cutoff = runtime.now() - timedelta(days=days)
    pruned, started = 0, time.monotonic()
    while time.monotonic() - started < PRUNE_SECONDS:
        with runtime.db.transaction() as session:
            ids = list(session.scalars(select(InboundEvent.id).where(
                InboundEvent.received_at < cutoff, InboundEvent.status.in_(("applied", "ignored")),
                or_(InboundEvent.payload.is_not(None), InboundEvent.body.is_not(None)))
                .order_by(InboundEvent.id).limit(PRUNE_BATCH)))
            if not ids:
                break
            session.execute(update(InboundEvent).where(InboundEvent.id.in_(ids)).values(
                payload=null(), body=None, meta={PRUNED: runtime.now().isoformat()})
                .execution_options(synchronize_session=False))
        pruned += len(ids)
    return pruned
