"""The hub's services for connector and plugin pages: what they call through hub.sdk.hub_services.

This module implements the SDK's HubServices protocol (the app factory checks it with mypy
and hands it to the Runtime; people, their preferences and notifications come from
``hub.app.inbox_services``); extensions never import it. It is a thin layer over the
core's own services (connector instances, plugin settings, the pipeline): it finds rows by
slug and answers with :mod:`hub.sdk.values`, so no ORM row leaves the core.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.app.inbox_services import (
    mark_notifications_read,
    notifications,
    notify_user,
    page_url,
    people,
    preferences,
    prune_notifications,
    push,
    set_preferences,
    take_digests,
    unread_notifications,
)
from hub.core.runtime import runtime_of
from hub.ingest import pipeline
from hub.models import ConnectorInstance, Department, Group
from hub.plugins import admin as _admin
from hub.plugins import instances as _instances
from hub.plugins import references as _references
from hub.sdk.actors import Actor
from hub.sdk.connector import Connector
from hub.sdk.mailwrite import make_message_id
from hub.sdk.references import MissingReference, OrgReference
from hub.sdk.tracker_errors import NotFound
from hub.sdk.values import DepartmentInfo, GroupInfo, IngestResult, InstanceInfo, RawEvent

__all__ = [
    "build_connector",
    "count_missing_reference",
    "create_instance",
    "departments",
    "get_instance",
    "groups",
    "ingest",
    "list_instances",
    "mail_message_id",
    "mark_notifications_read",
    "missing_names",
    "missing_references",
    "note_on_ticket",
    "notifications",
    "notify_user",
    "page_url",
    "people",
    "preferences",
    "present_instance",
    "present_settings",
    "prune_notifications",
    "push",
    "set_preferences",
    "take_digests",
    "unread_notifications",
    "update_instance",
    "update_settings",
]


# -- connector instances ----------------------------------------------------------------------


def list_instances(session: Session, *, connector: str | None = None) -> list[InstanceInfo]:
    """Every connector instance (of ``connector``, when given), by slug, without secrets."""
    return [_instances.instance_info(session, row) for row in _instances.list_instances(session, connector)]


def get_instance(session: Session, slug: str) -> InstanceInfo:
    """The instance called ``slug``, without its secrets; raises NotFound."""
    return _instances.instance_info(session, _instances.get_instance(session, slug))


def create_instance(session: Session, *, connector: str, slug: str, name: str | None = None,
                    config: dict[str, Any] | None = None, department: str | None = None, enabled: bool = False,
                    poll_interval: int | None = None, poll_cron: str | None = None) -> InstanceInfo:
    """Add an instance of an installed connector (config checked, secrets sealed)."""
    row = _instances.create_instance(session=session, connector=connector, slug=slug, name=name, config=config,
                                     department=department, enabled=enabled, poll_interval=poll_interval,
                                     poll_cron=poll_cron)
    return _instances.instance_info(session, row)


def update_instance(session: Session, slug: str, changes: dict[str, Any]) -> InstanceInfo:
    """Change an instance; secrets left out or masked keep their value (hub.plugins.instances)."""
    row = _instances.update_instance(session=session, instance=_instances.get_instance(session, slug),
                                     changes=changes)
    return _instances.instance_info(session, row)


def present_instance(session: Session, slug: str) -> dict[str, Any]:
    """The instance as the admin API shows it, secrets masked."""
    return _instances.present_instance(session, _instances.get_instance(session, slug))


def build_connector(session: Session, slug: str) -> Connector:
    """The instance's connector object with its full config; the caller closes it."""
    return _instances.build_connector(session, _instances.get_instance(session, slug))


# -- the ingest pipeline ----------------------------------------------------------------------


def ingest(session: Session, instance: InstanceInfo, raw: RawEvent, *, refuse_changed: bool = False) -> IngestResult:
    """Store and apply one event for ``instance`` through its connector, closed afterwards."""
    # By primary key: the row ``get_instance`` loaded in this session comes from the
    # identity map, so a form submission reads its instance once.
    row = session.get(ConnectorInstance, instance.id)
    if row is None:
        raise NotFound(f"No connector instance {instance.slug!r} (it was removed).")
    connector = _instances.build_connector(session, row)
    try:
        return pipeline.ingest(session=session, instance=row, connector=connector, raw=raw,
                               refuse_changed=refuse_changed)
    finally:
        connector.close()


# -- plugin settings --------------------------------------------------------------------------


def present_settings(session: Session, plugin: str) -> dict[str, Any]:
    """A plugin's settings as admins see them, secrets masked."""
    return _admin.present_settings(session, plugin)


def update_settings(session: Session, plugin: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Check and store a plugin's settings; returns them as ``present_settings`` does."""
    return _admin.update_settings(session=session, name=plugin, settings=settings)


# -- the organisation and mail ----------------------------------------------------------------


def departments(session: Session) -> list[DepartmentInfo]:
    """Every department, by slug."""
    rows = session.scalars(select(Department).order_by(Department.slug))
    return [DepartmentInfo(id=row.id, slug=row.slug, name=row.name, email=row.email) for row in rows]


def groups(session: Session) -> list[GroupInfo]:
    """Every assignment group with its department's slug, by slug (one query)."""
    rows = session.execute(select(Group, Department.slug).outerjoin(Department, Group.department_id == Department.id)
                           .order_by(Group.slug))
    return [GroupInfo(id=group.id, slug=group.slug, name=group.name, email=group.email, department=department)
            for group, department in rows]


def mail_message_id(session: Session, key: str) -> str:
    """A Message-ID at the hub's domain, keyed with its secret (nobody can compute it)."""
    settings = runtime_of(session).settings
    host = urlsplit(str(settings.get("BASE_URL") or "")).hostname or ""
    domain = host if re.fullmatch(r"[A-Za-z0-9.-]+", host) else "itsm-hub.invalid"
    return make_message_id(key, domain, str(settings.get("SECRET_KEY") or ""))


# -- names of organisation items in settings --------------------------------------------------


def missing_names(session: Session, names: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Of the names given by kind, those that name nothing (hub.plugins.references)."""
    return _references.missing_names(session, names)


def count_missing_reference(session: Session, *, source: str, reference: OrgReference) -> None:
    """Count one ticket that met a missing reference (shown in the admins' warning)."""
    _references.count_missing(session, source=source, reference=reference)


def missing_references(session: Session, *, source: str | None = None) -> list[MissingReference]:
    """The references whose item is gone, with the tickets counted since: admins' warnings."""
    return _references.missing_references(session, source=source)


def note_on_ticket(session: Session, ref: str, note: str, actor: Actor) -> None:
    """An audit entry (``noted``) on the ticket saying why a plugin did or did not act."""
    from hub.tracker import audit
    from hub.tracker.tickets import get_ticket

    audit.record(session, get_ticket(session, ref), "noted", actor, None, note)
