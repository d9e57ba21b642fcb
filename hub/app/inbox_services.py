"""The hub's services for telling people: what hub.sdk.hub_services offers plugins for agents'
notifications, their preferences, links to pages and deliveries through an instance.

Part of the HubServices implementation (``hub.app.hub_services`` re-exports these); values
leave as :mod:`hub.sdk.values`, never ORM rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.delivery import outbox
from hub.models import ConnectorInstance, Notification, User
from hub.sdk.connector import Pusher
from hub.sdk.values import NotificationInfo, PersonInfo
from hub.tracker import inbox

log = logging.getLogger("hub.notifications")


def person_info(user: User) -> PersonInfo:
    return PersonInfo(id=user.id, username=user.username, email=user.email, display_name=user.display_name or "",
                      role=user.role, timezone=user.timezone or "UTC", language=user.language or "en",
                      preferences=dict(user.preferences or {}))


def notification_info(row: Notification, username: str, ref: str | None) -> NotificationInfo:
    return NotificationInfo(id=row.id, username=username, kind=row.kind, text=row.text, ticket_ref=ref,
                            actor=row.actor, created_at=row.created_at, read_at=row.read_at)


def page_url(session: Session, path: str) -> str:
    """HUB_BASE_URL and the path."""
    base = str(runtime_of(session).settings.get("BASE_URL") or "").rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def push(session: Session, instance: str, *, action: str, payload: dict[str, Any], ref: str | None = None,
         key: str | None = None) -> bool:
    """Queue a delivery through a pushing instance; False when it cannot take one."""
    row = session.scalar(select(ConnectorInstance).where(ConnectorInstance.slug == instance))
    cls = runtime_of(session).plugins.connectors.get(row.connector) if row is not None else None
    if row is None or not row.enabled or cls is None or not issubclass(cls, Pusher) \
            or cls.push_mode(row.config or {}) == "none":
        log.warning("no delivery of %s through %r: no enabled instance of that name pushes", action, instance)
        return False
    ticket_id = inbox.ticket_id_of(session, ref)
    outbox.enqueue(session, instance_id=row.id, action=action[:32], lane=f"{action}:{row.slug}:{ref or '-'}",
                   payload=payload, ticket_id=ticket_id, key=key)
    return True


def people(session: Session, *, usernames: Iterable[str] | None = None, group: str | None = None,
           roles: Iterable[str] | None = None) -> list[PersonInfo]:
    return [person_info(user) for user in inbox.people(session, usernames=usernames, group=group, roles=roles)]


def preferences(session: Session, username: str, plugin: str) -> dict[str, Any]:
    return inbox.preferences(session, username, plugin)


def set_preferences(session: Session, username: str, plugin: str, values: dict[str, Any]) -> None:
    inbox.set_preferences(session, username, plugin, values)


def notify_user(session: Session, username: str, *, kind: str, text: str, ref: str | None = None, actor: str = "",
                listed: bool = True, digest: bool = False) -> int:
    user = inbox.user_named(session, username)
    row = inbox.add(session, user_id=user.id, kind=kind, text=text, ticket_id=inbox.ticket_id_of(session, ref),
                    actor=actor, listed=listed, digest=digest)
    session.flush()
    return row.id


def notifications(session: Session, username: str, *, unread_only: bool = False, limit: int = 50,
                  before: int | None = None) -> list[NotificationInfo]:
    user = inbox.user_named(session, username)
    return [notification_info(row, username, ref) for row, ref in
            inbox.listing(session, user.id, unread_only=unread_only, limit=limit, before=before)]


def unread_notifications(session: Session, username: str) -> int:
    user_id = session.scalar(select(User.id).where(User.username == username))
    return inbox.unread_count(session, user_id) if user_id is not None else 0


def mark_notifications_read(session: Session, username: str, ids: Iterable[int] | None = None) -> int:
    return inbox.mark_read(session, inbox.user_named(session, username).id, ids)


def take_digests(session: Session, *, limit: int = 5000) -> list[tuple[PersonInfo, list[NotificationInfo]]]:
    by_person: dict[int, tuple[PersonInfo, list[NotificationInfo]]] = {}
    for row, ref, user in inbox.take_digests(session, limit=limit):
        person, rows = by_person.setdefault(user.id, (person_info(user), []))
        rows.append(notification_info(row, person.username, ref))
    return list(by_person.values())


def prune_notifications(session: Session, *, read_before: datetime) -> int:
    return inbox.prune(session, read_before=read_before)
