"""External links: a ticket's record in another system, and its sync state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import ExternalLink
from hub.runtime import runtime_of
from hub.tracker.errors import Conflict


def link_ticket(
    session: Session, *, ticket_id: int, instance_id: int, external_id: str, url: str | None = None,
    remote_version: str | None = None, synced_hash: str | None = None, new_ticket: bool = False,
) -> ExternalLink:
    """Record that a ticket is ``external_id`` in an instance's system (once per pair).

    ``new_ticket``: the caller just made the ticket after finding no link for this
    external id, so there is nothing to look up (the unique constraint still guards).
    """
    existing = None if new_ticket else session.scalar(select(ExternalLink).where(
        ExternalLink.instance_id == instance_id, ExternalLink.external_id == external_id))
    if existing is not None:
        if existing.ticket_id != ticket_id:
            raise Conflict(f"{external_id} is already linked to another ticket.")
        return existing
    now = runtime_of(session).now()
    link = ExternalLink(ticket_id=ticket_id, instance_id=instance_id, external_id=external_id[:255],
                        url=url[:1000] if url else None, remote_version=remote_version,
                        last_synced_hash=synced_hash, last_synced_at=now, created_at=now, data={})
    session.add(link)
    session.flush()
    return link


def links_of(session: Session, ticket_id: int) -> list[ExternalLink]:
    return list(session.scalars(select(ExternalLink).where(ExternalLink.ticket_id == ticket_id)
                                .order_by(ExternalLink.id)))
