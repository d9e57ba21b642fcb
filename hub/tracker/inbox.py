"""People and what they are told: agents by group or name, their preferences, their notifications.

A plugin decides who hears of what (plugins/agent_notify); these services keep it: one row
per person told, the unread count the menu shows, the rows waiting for a digest mail. They
take the caller's session and ids or names, never a request, so pages, hooks and the
digest job share them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Group, Notification, Ticket, User
from hub.models.org import group_members
from hub.sdk.tracker_errors import NotFound, ValidationFailed

#: The longest text kept; longer is cut with an ellipsis (the ticket holds the rest).
TEXT_MAX = 1000
KIND_MAX = 64
PAGE_MAX = 200


def people(session: Session, *, usernames: Iterable[str] | None = None, group: str | None = None,
           roles: Iterable[str] | None = None) -> list[User]:
    """Active users matching every filter given (names, a group's slug, roles), by username; one query."""
    query = select(User).where(User.active.is_(True))
    if usernames is not None:
        names = sorted({name for name in usernames if name})
        if not names:
            return []
        query = query.where(User.username.in_(names))
    if group is not None:
        query = (query.join(group_members, group_members.c.user_id == User.id)
                 .join(Group, Group.id == group_members.c.group_id).where(Group.slug == group))
    if roles is not None:
        query = query.where(User.role.in_(sorted(set(roles))))
    return list(session.scalars(query.order_by(User.username)))


def user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user


def preferences(session: Session, username: str, plugin: str) -> dict[str, Any]:
    """What the person chose in ``plugin``'s settings ({} when nothing yet)."""
    return dict((user_named(session, username).preferences or {}).get(plugin) or {})


def set_preferences(session: Session, username: str, plugin: str, values: dict[str, Any]) -> None:
    """Replace the person's choices for ``plugin`` (the plugin checked them)."""
    if not isinstance(values, dict):
        raise ValidationFailed({"preferences": ["A mapping of choices."]})
    user = user_named(session, username)
    # A new dict, so the JSON column sees the change.
    user.preferences = {**(user.preferences or {}), plugin: values}


def _cut(text: str) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX - 1] + "…"


def add(session: Session, *, user_id: int, kind: str, text: str, ticket_id: int | None = None, actor: str = "",
        listed: bool = True, digest: bool = False) -> Notification:
    """Tell one person; the row shows in their list (``listed``) and/or waits for their digest."""
    if not kind or len(kind) > KIND_MAX:
        raise ValidationFailed({"kind": [f"A name of 1 to {KIND_MAX} characters."]})
    if not (text or "").strip():
        raise ValidationFailed({"text": ["Say what happened."]})
    row = Notification(user_id=user_id, ticket_id=ticket_id, kind=kind, text=_cut(text), actor=(actor or "")[:200],
                       created_at=runtime_of(session).now(), listed=listed, digest_pending=digest)
    session.add(row)
    return row


def ticket_id_of(session: Session, ref: str | None) -> int | None:
    if not ref:
        return None
    found = session.scalar(select(Ticket.id).where(Ticket.ref == ref))
    if found is None:
        raise NotFound(f"No ticket {ref}.")
    return int(found)


def listing(session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50,
            before: int | None = None) -> list[tuple[Notification, str | None]]:
    """The person's listed notifications, newest first, with their ticket's reference; one query.
    ``before`` (an id) pages on: the keyset of the list."""
    query = (select(Notification, Ticket.ref).outerjoin(Ticket, Ticket.id == Notification.ticket_id)
             .where(Notification.user_id == user_id, Notification.listed.is_(True)))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = session.execute(query.order_by(Notification.id.desc()).limit(max(1, min(limit, PAGE_MAX))))
    return [(row, ref) for row, ref in rows]


def unread_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.listed.is_(True), Notification.read_at.is_(None))) or 0)


def mark_read(session: Session, user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark the person's listed notifications read (these ids, or all); returns how many changed.
    Another person's ids change nothing: the user is part of the condition."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None),
                                       Notification.listed.is_(True))
    if ids is not None:
        wanted = sorted({int(ident) for ident in ids})
        if not wanted:
            return 0
        query = query.where(Notification.id.in_(wanted))
    result = session.execute(query.values(read_at=runtime_of(session).now()).execution_options(
        synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def take_digests(session: Session, *, limit: int = 5000) -> list[tuple[Notification, str | None, User]]:
    """Every notification waiting for a digest (oldest first, with its ticket's reference and
    its person), no longer waiting once this transaction commits."""
    rows = list(session.execute(
        select(Notification, Ticket.ref, User).join(User, User.id == Notification.user_id)
        .outerjoin(Ticket, Ticket.id == Notification.ticket_id)
        .where(Notification.digest_pending.is_(True)).order_by(Notification.id).limit(limit)
        .with_for_update(of=Notification, skip_locked=True)))
    if rows:
        taken = [row.id for row, _, _ in rows]
        session.execute(update(Notification).where(Notification.id.in_(taken))
                        .values(digest_pending=False).execution_options(synchronize_session=False))
        # A row kept only for the digest (not in the list) is done with: read, so pruned later.
        session.execute(update(Notification).where(Notification.id.in_(taken), Notification.listed.is_(False))
                        .values(read_at=runtime_of(session).now()).execution_options(synchronize_session=False))
    return [(row, ref, user) for row, ref, user in rows]


def prune(session: Session, *, read_before: datetime) -> int:
    """Forget notifications read before ``read_before``; unread ones stay until read."""
    result = session.execute(delete(Notification).where(Notification.read_at.is_not(None),
                                                        Notification.read_at < read_before,
                                                        Notification.digest_pending.is_(False)))
    return int(getattr(result, "rowcount", 0) or 0)
