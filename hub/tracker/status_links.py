"""The requester's private status link: unguessable, revocable, the same in every mail."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.models import StatusToken, Ticket
from hub.runtime import runtime_of

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
    """The ticket a token opens, or None for an unknown or revoked token."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(StatusToken).where(StatusToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_seen_at = runtime_of(session).now()
    return session.get(Ticket, row.ticket_id)


def revoke_status_tokens(session: Session, ticket: Ticket) -> int:
    """Stop every link of the ticket (a forwarded mail, a wrong recipient); returns how many."""
    result = session.execute(update(StatusToken).where(StatusToken.ticket_id == ticket.id,
                                                       StatusToken.revoked_at.is_(None))
                             .values(revoked_at=runtime_of(session).now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
