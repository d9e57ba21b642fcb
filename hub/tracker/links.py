"""External links: a ticket's record in another system, and its sync state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import ExternalLink
from hub.sdk.tracker_errors import Conflict

WEB_SCHEMES = ("http", "https")


def web_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) address a page may link to, else None.

    Sources choose their records' URLs (a webhook's ``external_url``): a ``javascript:`` or
    ``data:`` one must never become a link on an agent's page.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    scheme, colon, rest = url.partition(":")
    if not colon or scheme.lower() not in WEB_SCHEMES or not rest.startswith("//") or len(rest) <= 2:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        return None  # control characters and spaces: browsers strip some, which can change the scheme
    return url


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
                        url=web_link(url[:1000]) if url else None, remote_version=remote_version,
                        last_synced_hash=synced_hash, last_synced_at=now, created_at=now, data={})
    session.add(link)
    session.flush()
    return link


def link_unless_linked(session: Session, *, ticket_id: int, instance_id: int, external_id: str,
                       url: str | None = None, remote_version: str | None = None) -> bool:
    """Link a ticket just made to ``external_id``, unless that record is linked already
    (then nothing is written and the answer is False).

    One INSERT ... ON CONFLICT DO NOTHING where :func:`link_ticket` after a lookup costs two
    statements: most events name a record the hub has never seen (issue 23).
    """
    from hub.tracker.correlate import insert_ignoring_conflict
    from hub.tracker.held_writes import held_writes

    now = runtime_of(session).now()
    row = {"ticket_id": ticket_id, "instance_id": instance_id, "external_id": external_id[:255],
           "url": web_link(url[:1000]) if url else None, "remote_version": remote_version,
           "last_synced_hash": None, "last_synced_at": now, "created_at": now, "data": {}}
    held = held_writes(session)
    if held is not None:  # a batch's guess: checked when the batch writes its links (LinkedBefore)
        held.links.append(row)
        return True
    return insert_ignoring_conflict(session, ExternalLink.__table__, row, ["instance_id", "external_id"]) is not None


def links_of(session: Session, ticket_id: int) -> list[ExternalLink]:
    return list(session.scalars(select(ExternalLink).where(ExternalLink.ticket_id == ticket_id)
                                .order_by(ExternalLink.id)))
