"""The hub as connector pages and plugin admin pages see it: connector instances, plugin
settings, the ingest pipeline, the organisation, mail identities.

The twin of :mod:`hub.sdk.tracker`: every function takes the caller's ``session`` (from
``hub.sdk.web.reading`` or ``unit_of_work``, or a hook's) and returns values from
:mod:`hub.sdk.values` or plain data, never ORM rows. The SDK only declares them
(:class:`HubServices`); the core implements them (``hub.app.hub_services``) and the app
factory hands the implementation to the session's Runtime, so this module imports nothing
of the core.

Errors are the tracker's (:mod:`hub.sdk.tracker_errors`): ``NotFound`` for an unknown
instance or plugin, ``ValidationFailed`` with field paths (``config.url``,
``settings.rules.0.name``) for values the schema refuses, ``Conflict`` for a slug taken or
an idempotency key reused with other content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from hub.sdk.actors import Actor
from hub.sdk.connector import Connector
from hub.sdk.references import MissingReference, OrgReference
from hub.sdk.values import (
    DepartmentInfo,
    GroupInfo,
    IngestResult,
    InstanceInfo,
    NotificationInfo,
    PersonInfo,
    RawEvent,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "HubServices",
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


class HubServices(Protocol):
    """What the core implements (hub.app.hub_services satisfies it; mypy checks that)."""

    def list_instances(self, session: Session, *, connector: str | None = None) -> list[InstanceInfo]: ...

    def get_instance(self, session: Session, slug: str) -> InstanceInfo: ...

    def create_instance(
        self,
        session: Session,
        *,
        connector: str,
        slug: str,
        name: str | None = None,
        config: dict[str, Any] | None = None,
        department: str | None = None,
        enabled: bool = False,
        poll_interval: int | None = None,
        poll_cron: str | None = None,
    ) -> InstanceInfo: ...

    def update_instance(self, session: Session, slug: str, changes: dict[str, Any]) -> InstanceInfo: ...

    def present_instance(self, session: Session, slug: str) -> dict[str, Any]: ...

    def build_connector(self, session: Session, slug: str) -> Connector: ...

    def ingest(
        self, session: Session, instance: InstanceInfo, raw: RawEvent, *, refuse_changed: bool = False
    ) -> IngestResult: ...

    def present_settings(self, session: Session, plugin: str) -> dict[str, Any]: ...

    def update_settings(self, session: Session, plugin: str, settings: dict[str, Any]) -> dict[str, Any]: ...

    def departments(self, session: Session) -> list[DepartmentInfo]: ...

    def groups(self, session: Session) -> list[GroupInfo]: ...

    def mail_message_id(self, session: Session, key: str) -> str: ...

    def page_url(self, session: Session, path: str) -> str: ...

    def push(self, session: Session, instance: str, *, action: str, payload: dict[str, Any],
             ref: str | None = None, key: str | None = None) -> bool: ...

    def people(self, session: Session, *, usernames: Iterable[str] | None = None, group: str | None = None,
               roles: Iterable[str] | None = None) -> list[PersonInfo]: ...

    def preferences(self, session: Session, username: str, plugin: str) -> dict[str, Any]: ...

    def set_preferences(self, session: Session, username: str, plugin: str, values: dict[str, Any]) -> None: ...

    def notify_user(self, session: Session, username: str, *, kind: str, text: str, ref: str | None = None,
                    actor: str = "", listed: bool = True, digest: bool = False) -> int: ...

    def notifications(self, session: Session, username: str, *, unread_only: bool = False, limit: int = 50,
                      before: int | None = None) -> list[NotificationInfo]: ...

    def unread_notifications(self, session: Session, username: str) -> int: ...

    def mark_notifications_read(self, session: Session, username: str, ids: Iterable[int] | None = None) -> int: ...

    def take_digests(self, session: Session, *, limit: int = 5000) -> list[tuple[PersonInfo, list[NotificationInfo]]]:
        ...

    def prune_notifications(self, session: Session, *, read_before: datetime) -> int: ...
    def missing_names(self, session: Session, names: Mapping[str, Iterable[str]]) -> dict[str, list[str]]: ...

    def count_missing_reference(self, session: Session, *, source: str, reference: OrgReference) -> None: ...

    def missing_references(self, session: Session, *, source: str | None = None) -> list[MissingReference]: ...

    def note_on_ticket(self, session: Session, ref: str, note: str, actor: Actor) -> None: ...


def _core(session: Session) -> HubServices:
    # The Runtime that opened the session carries the implementation (set by the app
    # factory); reading it as an attribute keeps this module free of core imports.
    services = getattr(session.info.get("runtime"), "hub_services", None)
    if services is None:
        raise RuntimeError("this session was not opened by a hub app (no hub services on its Runtime)")
    return services


# -- connector instances ----------------------------------------------------------------------


def list_instances(session: Session, *, connector: str | None = None) -> list[InstanceInfo]:
    """Every connector instance (of ``connector``, when given), by slug, without secrets."""
    return _core(session).list_instances(session, connector=connector)


def get_instance(session: Session, slug: str) -> InstanceInfo:
    """The instance called ``slug``, without its secrets; raises NotFound."""
    return _core(session).get_instance(session, slug)


def create_instance(
    session: Session,
    *,
    connector: str,
    slug: str,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    department: str | None = None,
    enabled: bool = False,
    poll_interval: int | None = None,
    poll_cron: str | None = None,
) -> InstanceInfo:
    """Add an instance of an installed connector: ``config`` is checked by the connector's
    schema (ValidationFailed at ``config.<field>``) and its secrets are sealed; a slug in use
    raises Conflict. Disabled unless ``enabled``."""
    return _core(session).create_instance(
        session,
        connector=connector,
        slug=slug,
        name=name,
        config=config,
        department=department,
        enabled=enabled,
        poll_interval=poll_interval,
        poll_cron=poll_cron,
    )


def update_instance(session: Session, slug: str, changes: dict[str, Any]) -> InstanceInfo:
    """Change ``name``, ``enabled``, ``department``, ``config``, ``poll_interval`` or
    ``poll_cron``. A secret left out of ``config`` (or sent back masked) keeps its stored
    value, unless the change points the connector at another address or account."""
    return _core(session).update_instance(session, slug, changes)


def present_instance(session: Session, slug: str) -> dict[str, Any]:
    """The instance as the admin API shows it: config with secrets masked, schedule,
    capabilities, last run and error, quarantined events, webhook URL."""
    return _core(session).present_instance(session, slug)


def build_connector(session: Session, slug: str) -> Connector:
    """An object of the instance's connector class with its full config, secrets
    included; the caller closes it (``connector.close()``)."""
    return _core(session).build_connector(session, slug)


# -- the ingest pipeline ----------------------------------------------------------------------


def ingest(session: Session, instance: InstanceInfo, raw: RawEvent, *, refuse_changed: bool = False) -> IngestResult:
    """Store ``raw`` for ``instance`` and apply it, as a webhook or poll would: the
    connector reads it, plugins enrich it, a ticket is made or changed. A key stored before
    returns the earlier outcome (``duplicate``); with ``refuse_changed`` (keys the sender
    chooses), the same key with other content raises Conflict and stores nothing."""
    return _core(session).ingest(session, instance, raw, refuse_changed=refuse_changed)


# -- plugin settings --------------------------------------------------------------------------


def present_settings(session: Session, plugin: str) -> dict[str, Any]:
    """A plugin's settings as admins see them: ``{"plugin", "settings", "fields_"}``, the
    values loaded by its schema (defaults filled in) with secrets masked."""
    return _core(session).present_settings(session, plugin)


def update_settings(session: Session, plugin: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Check ``settings`` with the plugin's schema (ValidationFailed at
    ``settings.<path>``) and store them; returns them as ``present_settings`` does. Secrets
    sent back masked keep their value."""
    return _core(session).update_settings(session, plugin, settings)


# -- the organisation and mail ----------------------------------------------------------------


def departments(session: Session) -> list[DepartmentInfo]:
    """Every department, by slug."""
    return _core(session).departments(session)


def groups(session: Session) -> list[GroupInfo]:
    """Every assignment group, by slug."""
    return _core(session).groups(session)


def mail_message_id(session: Session, key: str) -> str:
    """The Message-ID for the mail the hub sends about ``key``: at the hub's own domain
    (HUB_BASE_URL's host), and keyed with the hub's secret, so nobody who knows ``key`` can
    compute it and thread a forged reply onto a ticket. The same key gives the same id."""
    return _core(session).mail_message_id(session, key)


def page_url(session: Session, path: str) -> str:
    """The absolute address of a hub page (HUB_BASE_URL and ``path``, e.g. ``/tickets/INC-000001``),
    for mail and posts that leave the hub."""
    return _core(session).page_url(session, path)


def push(session: Session, instance: str, *, action: str, payload: dict[str, Any], ref: str | None = None,
         key: str | None = None) -> bool:
    """Queue a delivery through the connector instance ``instance`` (its ``push``; a webhook
    instance posts it signed): it commits with the caller's transaction, is retried with
    backoff and kept as a dead letter after the last attempt. False, and nothing queued,
    when the instance is missing, disabled or does not push. ``key`` makes it idempotent."""
    return _core(session).push(session, instance, action=action, payload=payload, ref=ref, key=key)


# -- people and what they are told --------------------------------------------------------------


def people(session: Session, *, usernames: Iterable[str] | None = None, group: str | None = None,
           roles: Iterable[str] | None = None) -> list[PersonInfo]:
    """Active users matching every filter given: these usernames, members of the group with
    this slug, these roles (``agent``, ``admin``); by username, in one query."""
    return _core(session).people(session, usernames=usernames, group=group, roles=roles)


def preferences(session: Session, username: str, plugin: str) -> dict[str, Any]:
    """What the person chose in ``plugin``'s settings; {} when nothing yet (NotFound for no such user)."""
    return _core(session).preferences(session, username, plugin)


def set_preferences(session: Session, username: str, plugin: str, values: dict[str, Any]) -> None:
    """Store the person's choices for ``plugin`` (replacing them); the plugin checks them first."""
    _core(session).set_preferences(session, username, plugin, values)


def notify_user(session: Session, username: str, *, kind: str, text: str, ref: str | None = None, actor: str = "",
                listed: bool = True, digest: bool = False) -> int:
    """Tell one person: a row in their notification list (``listed``; the menu counts it while
    unread) and/or waiting for their digest mail (``digest``, see ``take_digests``). ``kind``
    names the event, ``ref`` the ticket it is about. Returns the notification's id."""
    return _core(session).notify_user(session, username, kind=kind, text=text, ref=ref, actor=actor, listed=listed,
                                      digest=digest)


def notifications(session: Session, username: str, *, unread_only: bool = False, limit: int = 50,
                  before: int | None = None) -> list[NotificationInfo]:
    """The person's listed notifications, newest first; ``before`` (an id) gives the next page."""
    return _core(session).notifications(session, username, unread_only=unread_only, limit=limit, before=before)


def unread_notifications(session: Session, username: str) -> int:
    """How many of the person's listed notifications are unread."""
    return _core(session).unread_notifications(session, username)


def mark_notifications_read(session: Session, username: str, ids: Iterable[int] | None = None) -> int:
    """Mark the person's notifications read: these ids (others' ids change nothing), or all
    when ``ids`` is None. Returns how many changed."""
    return _core(session).mark_notifications_read(session, username, ids)


def take_digests(session: Session, *, limit: int = 5000) -> list[tuple[PersonInfo, list[NotificationInfo]]]:
    """Every notification waiting for a digest mail, by person (oldest first); they wait no
    longer once the caller's transaction commits, so a digest job sends each once."""
    return _core(session).take_digests(session, limit=limit)


def prune_notifications(session: Session, *, read_before: datetime) -> int:
    """Forget notifications read before ``read_before`` (unread ones stay); returns how many."""
    return _core(session).prune_notifications(session, read_before=read_before)
# -- names of organisation items in settings (hub.sdk.references) -----------------------------


def missing_names(session: Session, names: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Of the names given by kind (``{"group": ["ops", "nightshift"]}``; kinds as in
    hub.sdk.references.KINDS), those that name nothing, by kind; kinds with none left out."""
    return _core(session).missing_names(session, names)


def count_missing_reference(session: Session, *, source: str, reference: OrgReference) -> None:
    """Count one ticket that met ``reference`` while its item is missing (a routing rule's
    group gone, so the ticket went to the default group); admins see the count in the
    warning ``missing_references`` gives. ``source`` is the plugin, or the instance's slug."""
    _core(session).count_missing_reference(session, source=source, reference=reference)


def missing_references(session: Session, *, source: str | None = None) -> list[MissingReference]:
    """The references in settings and configs (of ``source`` only, when given) whose item no
    longer exists, with the tickets counted as meeting each since: the admin's warnings."""
    return _core(session).missing_references(session, source=source)


def note_on_ticket(session: Session, ref: str, note: str, actor: Actor) -> None:
    """Write ``note`` to the ticket's audit trail (action ``noted``): why a plugin did, or
    did not do, something to it. A new ticket's draft takes notes in ``TicketDraft.notes``."""
    _core(session).note_on_ticket(session, ref, note, actor)
