"""What applying one draft did, and the pieces every way of applying a draft shares.

The pipeline (hub.pipeline), the repeats of a correlation key (hub.occurrences), the
events on a ticket they name (hub.known_tickets) and the sync engine all answer with an
:class:`Outcome`; the stored event records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.sdk.values import TicketDraft
from hub.tracker.actors import Actor


@dataclass
class Outcome:
    status: str
    action: str | None = None
    ticket: Ticket | None = None
    reason: str | None = None
    correlation_key: str | None = None


def joined(*reasons: str | None) -> str | None:
    """Why the event went where it did, and what the connector noted while reading it."""
    return " ".join(reason for reason in reasons if reason) or None


def attach_files(session: Session, draft: TicketDraft, ticket: Ticket, event: Any, actor: Actor,
                 comment_id: int | None) -> list[str]:
    """Keep the draft's files; one that breaks a limit is skipped and named in the result."""
    from hub.tracker.attachments import store_attachment
    from hub.tracker.errors import ValidationFailed

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
