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
from typing import TYPE_CHECKING, Any, Protocol

from hub.sdk.actors import Actor
from hub.sdk.connector import Connector
from hub.sdk.references import MissingReference, OrgReference
from hub.sdk.values import DepartmentInfo, GroupInfo, IngestResult, InstanceInfo, RawEvent

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
    "missing_names",
    "missing_references",
    "note_on_ticket",
    "present_instance",
    "present_settings",
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
