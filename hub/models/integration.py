"""How the hub meets the outside: connector instances, inbound events, plugin state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, JSONType, utcnow


class ConnectorInstance(Base):
    """One configured use of a connector: a mailbox, a line's broker, a ServiceNow site."""

    __tablename__ = "connector_instances"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    """URL-safe name, used in webhook URLs and the CLI."""
    name: Mapped[str] = mapped_column(String(200))
    connector: Mapped[str] = mapped_column(String(64), index=True)
    """The connector's slug, e.g. ``email`` or ``servicenow``."""
    enabled: Mapped[bool] = mapped_column(default=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Validated settings without the secrets."""
    secrets: Mapped[str | None] = mapped_column(Text)
    """The secret settings as one Fernet token; never returned by the API."""
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Cursors and bookmarks owned by the framework (last UID, last updated time, ...)."""
    poll_interval: Mapped[int | None] = mapped_column(Integer)
    """Seconds between polls; None uses the connector's default."""
    poll_cron: Mapped[str | None] = mapped_column(String(120))
    """A cron expression that replaces the interval when set."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]


class InboundEvent(Base):
    """Something a connector received, stored raw before anything else happens to it."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("instance_id", "idempotency_key"),
        Index("ix_inbound_events_status", "status", "id"),
        # The reader's query (hub.jobs.reader): an instance's unread events, oldest first. Only
        # the backlog is in it, so it stays small however many events are kept.
        Index("ix_inbound_events_unread", "instance_id", "id", postgresql_where=text("status = 'received'"),
              sqlite_where=text("status = 'received'")),
        Index("ix_inbound_events_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("connector_instances.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100), default="application/json")
    payload: Mapped[dict[str, Any] | None]
    """The event as JSON when it was JSON."""
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The raw bytes when it was not JSON (an email, a binary MQTT payload)."""
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Transport details: topic, headers, mailbox UID, remote address."""
    status: Mapped[str] = mapped_column(String(16), default="received")
    """``received``, ``applied``, ``ignored`` or ``quarantined``."""
    action: Mapped[str | None] = mapped_column(String(32))
    """What it did: ``created``, ``commented``, ``occurrence``, ``transitioned``, ..."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was quarantined or ignored, or why it merged into an existing ticket."""
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    correlation_key: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None]


class PluginState(Base):
    """An admin's switch for a plugin, its settings, and the failures its hooks raised.

    A plugin without a row runs if it is built-in and waits for an admin if it is third-party
    (hub.plugins.installs); a third-party plugin gets its row, disabled, when a process first
    sees it installed.
    """

    __tablename__ = "plugin_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool]
    """No default: whoever makes a row decides (HubPlugins.default_enabled when no admin did)."""
    distribution: Mapped[str | None] = mapped_column(String(200))
    """The package that provided the plugin when the row was written: a switch applies to that
    package only, never to another one that takes the name later. None on rows older than 0014."""
    first_seen_at: Mapped[datetime | None]
    """When a hub process first found this third-party plugin installed."""
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[str | None] = mapped_column(Text)
    last_failure_hook: Mapped[str | None] = mapped_column(String(100))
    last_failure_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HubProcess(Base):
    """A running hub process (web, worker, scheduler, listener) and the plugins it loaded, so
    any process, and ``itsm-hub plugins list``, can tell which ones need a restart after a
    plugin package was installed, upgraded or removed (hub.plugins.presence)."""

    __tablename__ = "hub_processes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(100))
    """What the process does: ``web``, ``worker``, ``scheduler``, ``listener SLUG``, ``supervisor``."""
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)
    """Last heartbeat; a row not seen for a few minutes is a process that is gone."""
    plugins: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The entry-point plugins it loaded at start: name -> version."""
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """What it found installed, upgraded or removed since it started (``Change.as_dict()``)."""
