"""The plugin contract: every hook the hub calls, and what it expects back.

This is the one file a plugin author reads. A plugin is a module (or object) with
functions marked ``@hookimpl`` whose names match the hooks below, registered through the
``itsm_hub`` entry-point group::

    # setup.cfg of your package
    [options.entry_points]
    itsm_hub =
        acme = acme_hub_plugin

    # acme_hub_plugin.py
    from hub.hookspecs import hookimpl

    @hookimpl
    def enrich_ticket(draft):
        if "urgent" in draft.title.lower():
            draft.urgency = "high"

An implementation may accept fewer arguments than the spec names, so arguments can be
added later without breaking anyone. Naming follows one rule: ``register_*`` returns a
list, ``prepare``-like hooks (``enrich_ticket``) change what they are given, and
past-tense hooks (``ticket_created``) are notifications.

Every hook implementation runs isolated: if it raises, the hub logs the error with the
plugin and hook, counts it on the plugin's admin record, treats the call as if the
plugin had returned None, and goes on. No plugin can lose an event or a ticket. A plugin
an admin has disabled is not called at all.

Lifecycle notifications run inside the transaction that made the change, with the
``session`` of that transaction: work a plugin does through hub.sdk.tracker with
that session (an outbox message, a comment) commits or rolls back with the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from datetime import datetime

    import click
    from flask import Blueprint, Flask
    from sqlalchemy.orm import Session

    from hub.sdk.actors import Actor
    from hub.sdk.connector import Connector
    from hub.sdk.references import OrgReference
    from hub.sdk.schedules import Schedule
    from hub.sdk.values import AttachmentInfo, CommentInfo, EventInfo, InstanceInfo, TicketDraft, TicketInfo
    from hub.sdk.web import MenuItem

PROJECT = "itsm_hub"
"""The pluggy project name, and the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------------------
# Registration: called once per process at start-up.
# --------------------------------------------------------------------------------------


@hookspec
def register_hookspecs() -> list[object]:
    """Return modules (or classes) of hook specifications this plugin declares, for other
    plugins to implement: the plugin calls them, the hub checks implementations against them.

    Read when plugins load, before any implementation is checked, so the order plugins
    load in does not matter. Mark the specs with ``hookspec`` from this module; emit them
    with ``hub.sdk.tracker.emit``. The SLA plugin's ``sla_warning`` and ``sla_breached``
    are declared this way (``plugins/sla/hookspecs.py``).
    """


@hookspec
def register_connectors() -> list[type[Connector]]:
    """Return the connector classes this plugin provides.

    Each class subclasses one or more of the bases in :mod:`hub.sdk` and has a unique
    ``slug``. Admins then create instances of it (``itsm-hub connectors add``).
    """


@hookspec
def register_blueprints() -> list[Blueprint]:
    """Return Flask blueprints to mount on the app (pages, API routes, webhooks).

    Routes of a feature plugin answer 404 while an admin has the plugin disabled. Every
    route under ``/api/`` requires an API token unless the blueprint marks the view
    public with ``hub.sdk.web.public``.
    """


@hookspec
def register_commands() -> list[click.Command]:
    """Return click commands to add under ``itsm-hub``."""


@hookspec
def register_menu_items() -> list[MenuItem]:
    """Return entries for the main menu (``hub.sdk.web.MenuItem``: label, endpoint,
    permission, shortcut key, order). An entry shows when its endpoint exists, the user's
    role has the permission, and the plugin is enabled.
    """


@hookspec
def register_schedules() -> list[Schedule]:
    """Return periodic jobs (``hub.sdk.Schedule``: a job path, an interval or a cron
    expression, a queue). The hub's scheduler enqueues each once per due window, with a
    job id made of the schedule's name and the window, so several schedulers never run
    one window twice.
    """


@hookspec
def startup(app: Flask) -> None:
    """Called once the app is built, in every process (web, worker, listener, CLI)."""


# --------------------------------------------------------------------------------------
# The ingest path: from a stored raw event to a change of the tracker.
# --------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def normalize_event(
    event: EventInfo, instance: InstanceInfo, connector: Connector
) -> TicketDraft | list[TicketDraft] | None:
    """Read a stored event and say what it means for the tracker.

    Stops at the first non-None result. The hub's own implementation runs last and asks
    the connector (``connector.normalize(event)``), so a plugin can take over the
    reading of one source's events by returning a draft first.

    Raise :class:`hub.sdk.SkippableError` to put the event in quarantine with the
    message as its reason; it can be replayed after a fix. (Any other exception is a
    fault of the plugin: logged, counted, and the next implementation is asked.)
    """


@hookspec
def enrich_ticket(draft: TicketDraft, event: EventInfo | None, instance: InstanceInfo | None,
                  session: Session) -> None:
    """Change a draft before it is applied: route it, classify it, tag it.

    Every implementation runs, in plugin order, each seeing the previous ones' changes.
    ``event`` and ``instance`` are None for tickets created through the API or UI.
    ``session`` is the transaction the ticket will be made in (read settings with
    ``hub.sdk.tracker.plugin_settings``).

    A reader applying a batch of stored events that each open a ticket calls it for
    every event of the batch before it writes the batch's tickets (in arrival order).
    """


@hookspec(firstresult=True)
def correlation_key(draft: TicketDraft, event: EventInfo | None, instance: InstanceInfo | None) -> str | None:
    """Return the key that makes repeats of one problem one ticket, or None for none.

    Stops at the first non-None result. The hub's own implementation runs last: it uses
    ``draft.correlation_key``, or the instance's ``dedup_key`` template (e.g.
    ``"{site}/{line}/{machine}/{code}"`` filled from ``draft.extra``). The key is
    scoped to the instance by the hub.

    Asked for an ``open`` that names no ticket by a thread or a reference, before its
    ``external_id`` is looked up: with a key, the key alone decides whether the event
    repeats a ticket (within ``draft.correlation_window`` of its last sighting, when the
    draft gives one). Asked for a ``clear`` that names no ticket, by any of those.
    """


@hookspec
def before_ticket_create(draft: TicketDraft, instance: InstanceInfo | None) -> str | None:
    """Return a reason to refuse the ticket, or None to let it be made.

    Every implementation runs; the first reason wins. A refused event is kept as
    ``ignored`` with the reason; a refused API request answers 422 with it.
    """


@hookspec(firstresult=True)
def new_ticket_due_times(ticket: TicketInfo, session: Session) -> dict[str, datetime | None] | None:
    """The service-level due times of a ticket about to be stored: ``response_due_at`` and
    ``resolve_due_at`` (either may be None), or None to leave them unset.

    Called once per new ticket, after the checks and before the ticket is written, so its
    due times go in with it rather than in an UPDATE right after (issue 23: a statement on
    every new ticket). ``ticket`` has no id and no reference yet (``id`` 0, ``ref`` "").
    The first plugin to answer wins; the one that keeps due times up to date later
    (``ticket_created``, ``status_changed``, ...) should answer the same here.
    """


# --------------------------------------------------------------------------------------
# Lifecycle notifications: inside the transaction of the change.
# --------------------------------------------------------------------------------------


@hookspec
def ticket_created(ticket: TicketInfo, actor: Actor, session: Session) -> None:
    """A ticket was made (by the API, the UI or the pipeline).

    A reader applying a batch of stored events that each open a ticket writes the batch's
    tickets first, then calls this for each in arrival order, and writes what the
    implementations added through hub.sdk.tracker (plugin data, timers, audit entries)
    once all have run: a query made here does not see those rows of the batch's other
    tickets. If an implementation fails, the batch is rolled back and read event by event.
    """


@hookspec
def ticket_updated(
    ticket: TicketInfo, changes: dict[str, tuple[Any, Any]], actor: Actor, session: Session
) -> None:
    """Fields of a ticket changed. ``changes`` maps each field to ``(old, new)``;
    ``actor.origin`` (and ``actor.instance_id`` for a connector) says where it came from.
    Status changes come through :func:`status_changed` instead.
    """


@hookspec
def status_changed(ticket: TicketInfo, old: str, new: str, actor: Actor, session: Session) -> None:
    """A ticket moved from state ``old`` to ``new``. A merge closes a duplicate from any open
    state: then ``ticket.duplicate_of`` names its main ticket (a public comment on it follows)."""


@hookspec
def comment_added(ticket: TicketInfo, comment: CommentInfo, actor: Actor, session: Session) -> None:
    """A comment was added; ``comment.visibility`` is ``public`` or ``internal``."""


@hookspec
def attachment_added(ticket: TicketInfo, attachment: AttachmentInfo, actor: Actor, session: Session) -> None:
    """A file was attached (by mail, a form, the API or a sync); ``attachment.visibility``
    is ``public`` or ``internal``. The hub's own implementation sends it to the systems
    the ticket is linked to, except the one it came from."""


@hookspec
def occurrence_recorded(ticket: TicketInfo, event: EventInfo, reason: str, session: Session) -> None:
    """A repeat of an open ticket's problem arrived and was counted on it; ``reason``
    says why the event was merged (the shared correlation key, the reopen policy)."""


# --------------------------------------------------------------------------------------
# Plugin settings, timers and satisfaction.
# --------------------------------------------------------------------------------------


@hookspec
def declare_settings() -> type[Any] | None:
    """Return the marshmallow schema (a ``hub.sdk.ConfigSchema``) of this plugin's settings.

    Admins edit them through the API and pages (validated by this schema, secrets
    masked); the plugin reads them with ``hub.sdk.tracker.plugin_settings``.
    """


@hookspec
def timer_fired(ticket: TicketInfo, plugin: str, name: str, due_at: datetime, data: dict[str, Any],
                session: Session) -> None:
    """A ticket timer set with ``hub.sdk.tracker.set_timer`` came due.

    Every implementation is called; look at ``plugin`` and ``name`` to handle your own.
    Each timer fires once (until it is set again).
    """


@hookspec
def survey_answered(ticket: TicketInfo, score: int, comment: str, session: Session) -> None:
    """The requester rated the handling of a resolved ticket (1 to 5) on the status page."""


# --------------------------------------------------------------------------------------
# The organisation: what names its items.
# --------------------------------------------------------------------------------------


@hookspec
def register_org_references(session: Session) -> list[OrgReference]:
    """Return the names of organisation items your plugin keeps outside the tickets.

    Each ``hub.sdk.references.OrgReference`` counts as a use of its item: deleting the item
    is refused while it is named, with ``owner`` in the reason. Settings and connector
    configs whose schema answers ``ConfigSchema.org_references`` are counted by the hub
    itself; implement this hook only for names kept elsewhere (a plugin's own tables).
    """


@hookspec
def org_item_renamed(item_type: str, old: str, new: str, session: Session) -> None:
    """A department, group, category or item (``item_type``: ``department``, ``group``,
    ``category``, ``ci``) is now called ``new``: renamed, or merged into ``new``.

    Called in the transaction of the change, once ``old`` names nothing any more: write
    ``new`` wherever you keep ``old``. The hub rewrites the settings and configs whose
    schema answers ``ConfigSchema.org_references`` itself.
    """
