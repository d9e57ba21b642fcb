"""Work the background jobs own: the outbox of deliveries and the record of sync runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow


class OutboxMessage(Base):
    """A delivery owed to the outside, written in the same transaction as its cause.

    Messages in one lane (one external record, or one recipient) go out strictly in id
    order; lanes are independent, so one slow remote never holds up the others.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_lane", "lane", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    lane: Mapped[str] = mapped_column(String(255))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("connector_instances.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("external_links.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``delivered`` or ``dead``."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncRun(Base):
    """One poll or sync of a connector instance, with what it found."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_instance", "instance_id", "id"),
        # The scheduler looks for runs still "running" at every tick (hub.jobs.runs).
        Index("ix_sync_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("connector_instances.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="poll")
    job_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")
    """``running``, ``ok``, ``failed``, or ``abandoned`` (its worker died; ``error`` says so)."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
