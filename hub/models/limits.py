"""Counters behind in-transaction limits, and the saved views of the ticket list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow


class RateCounter(Base):
    """Hits of one key in a window, for limits counted inside a transaction (hub.tracker.rate_limits):
    acknowledgements to one requester. Web requests are limited in Redis (hub.api.throttle).
    Keys under ``ref:`` count the tickets that met a missing organisation reference since
    ``window_start`` (hub.plugins.references)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)


class SavedView(Base):
    """A named ticket-list query a user keeps (filters and sort as a query string)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
