"""Who works tickets, as plugins see them: departments, groups, people and what they were told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DepartmentInfo:
    """A department (customer service, quality, facilities): who receives tickets."""

    id: int
    slug: str
    """What rules, settings and the API name it by."""
    name: str
    email: str | None
    """Where escalations for the department go when no group or manager is named."""


@dataclass(frozen=True)
class GroupInfo:
    """An assignment group: the agents who share a queue of work."""

    id: int
    slug: str
    """What rules, settings and the API name it by."""
    name: str
    email: str | None
    department: str | None
    """The slug of the department it belongs to, if any."""


@dataclass(frozen=True)
class PersonInfo:
    """A person who works tickets (an agent or admin), as a plugin that tells them sees them."""

    id: int
    username: str
    """Their login: what mentions (``@username``) and the API name them by."""
    email: str | None
    display_name: str
    role: str
    timezone: str
    """The IANA zone they read times in (``Europe/Berlin``)."""
    language: str
    preferences: dict[str, Any]
    """What they chose in plugins' settings pages, by plugin name."""


@dataclass(frozen=True)
class NotificationInfo:
    """One thing one person was told (``hub.sdk.hub_services.notify_user``)."""

    id: int
    username: str
    kind: str
    """The event, in the words of the plugin that told them (``assigned``, ``mentioned``)."""
    text: str
    ticket_ref: str | None
    actor: str
    """Who caused it, as shown; empty for the hub itself."""
    created_at: datetime
    read_at: datetime | None
