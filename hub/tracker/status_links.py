"""The requester's private status link: unguessable, revocable, the same in every mail.

A link stops opening when an admin revokes it (a mail forwarded to the wrong person) and
``HUB_STATUS_LINK_DAYS`` after the ticket reached a final state (closed, cancelled, ...).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import StatusToken, Ticket
from hub.sdk.actors import Actor
from hub.tracker import audit

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status_token(session: Session, ticket: Ticket) -> str:
    """The ticket's current status token, issuing one if it has none."""
    runtime = runtime_of(session)
    current = session.scalar(select(StatusToken).where(StatusToken.ticket_id == ticket.id,
                                                       StatusToken.revoked_at.is_(None))
                             .order_by(StatusToken.id.desc()).limit(1))
    if current is not None:
        return str(runtime.secrets.open(current.token_sealed)["token"])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(StatusToken(ticket_id=ticket.id, token_hash=_hash(token),
                            token_sealed=runtime.secrets.seal({"token": token}), created_at=runtime.now()))
    session.flush()
    return token


def status_url(session: Session, ticket: Ticket) -> str:
    base = str(runtime_of(session).settings.get("BASE_URL", "")).rstrip("/")
    return f"{base}/s/{status_token(session, ticket)}"


def ticket_for_token(session: Session, token: str) -> Ticket | None:
    """The ticket a token opens, or None for an unknown, revoked or expired token."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(StatusToken).where(StatusToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is None or link_expired(session, ticket):
        return None
    row.last_seen_at = runtime_of(session).now()
    return ticket


def link_expires_at(session: Session, ticket: Ticket) -> datetime | None:
    """When the ticket's links stop opening: HUB_STATUS_LINK_DAYS after it closed (None: not yet known).

    A merged duplicate closed at the merge, but its link shows the main ticket's progress,
    so it keeps opening as long as the main ticket's own links do.
    """
    days = int(runtime_of(session).settings.get("STATUS_LINK_DAYS") or 0)
    followed = session.get(Ticket, ticket.duplicate_of_id) if ticket.duplicate_of_id is not None else None
    closed_at = (followed or ticket).closed_at
    if not days or closed_at is None:
        return None
    return closed_at + timedelta(days=days)


def link_expired(session: Session, ticket: Ticket) -> bool:
    expires = link_expires_at(session, ticket)
    return expires is not None and runtime_of(session).now() >= expires


def revoke_status_tokens(session: Session, ticket: Ticket) -> int:
    """Stop every link of the ticket (a forwarded mail, a wrong recipient); returns how many."""
    result = session.execute(update(StatusToken).where(StatusToken.ticket_id == ticket.id,
                                                       StatusToken.revoked_at.is_(None))
                             .values(revoked_at=runtime_of(session).now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_status_links(*, session: Session, ticket: Ticket, actor: Actor) -> int:
    """Revoke the ticket's status links and say so in its history; the next mail carries a new one."""
    count = revoke_status_tokens(session, ticket)
    if count:
        audit.record(session, ticket, "status_links_revoked", actor, {"status_link": ["open", "revoked"]},
                     "The requester's status link was revoked.")
    return count
