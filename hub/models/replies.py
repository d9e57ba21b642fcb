"""Canned replies: the answers agents give again and again, with placeholders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow


class CannedReply(Base):
    """A reply template: shared (no owner, kept by admins) or an agent's own."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("owner_id", "title"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    """None: shared with every agent."""
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    """What the comment form switches to when it is inserted: a public reply or an internal note."""
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
