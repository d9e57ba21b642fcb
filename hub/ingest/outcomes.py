"""The pieces every way of applying a draft shares: its files, and the reason it records.

The pipeline (hub.ingest.pipeline), the repeats of a correlation key
(hub.ingest.occurrences) and the events on a ticket they name (hub.ingest.known_tickets)
answer with an :class:`Outcome` (hub.tracker.outcome, where the sync engine finds it too);
the stored event records it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import InboundEvent, Ticket
from hub.sdk.actors import Actor
from hub.sdk.values import IngestResult, TicketDraft
from hub.tracker.outcome import Outcome as Outcome  # re-exported: every way of applying a draft answers with it


def joined(*reasons: str | None) -> str | None:
    """Why the event went where it did, and what the connector noted while reading it."""
    return " ".join(reason for reason in reasons if reason) or None


def attach_files(session: Session, draft: TicketDraft, ticket: Ticket, event: Any, actor: Actor,
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


def record_outcome(session: Session, event_id: int, outcome: Outcome) -> IngestResult:
    """Write the outcome on the stored event and answer with it."""
    return record_outcomes(session, [(event_id, outcome)])[0]


def record_outcomes(session: Session, outcomes: list[tuple[int, Outcome]]) -> list[IngestResult]:
    """Write each outcome on its stored event (one statement, an executemany for many) and
    answer with them."""
    if not outcomes:
        return []
    now = runtime_of(session).now()
    rows = [{"event_id": event_id, "event_status": outcome.status, "event_action": outcome.action,
             "event_reason": outcome.reason, "event_ticket": outcome.ticket.id if outcome.ticket is not None else None,
             "event_key": outcome.correlation_key, "event_at": now} for event_id, outcome in outcomes]
    session.execute(_RECORD, rows[0] if len(rows) == 1 else rows)
    return [IngestResult(event_id=event_id, status=outcome.status, action=outcome.action,
                         ticket_ref=outcome.ticket.ref if outcome.ticket is not None else None, reason=outcome.reason)
            for event_id, outcome in outcomes]


_EVENTS = cast(Table, InboundEvent.__table__)  # a plain UPDATE, not the ORM's by-primary-key form
#: Built once, the values given as parameters: building it per event cost as much as running it.
_RECORD = update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id")).values(
    status=bindparam("event_status"), action=bindparam("event_action"), reason=bindparam("event_reason"),
    ticket_id=bindparam("event_ticket"), correlation_key=bindparam("event_key"),
    attempts=_EVENTS.c.attempts + 1, processed_at=bindparam("event_at"))
