"""What agents are told: the notifications their list in the UI shows, and their digest mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow


class Notification(Base):
    """One thing one person was told about (a ticket new in their group, a mention).

    Written by a plugin through ``hub.sdk.hub_services.notify_user``; the plugin decides
    who hears of what and by which channel, the core keeps it and counts the unread.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # The list (newest first) and the unread count in the menu, on every page.
        Index("ix_notifications_user_id", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_digest", "digest_pending", "user_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    """The event: ``new_in_group``, ``assigned``, ``mentioned``, ... (the plugin's names)."""
    text: Mapped[str] = mapped_column(String(1000))
    actor: Mapped[str] = mapped_column(String(200), default="")
    """Who caused it, as shown ("alice", "the SLA plugin"); empty for the hub itself."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    listed: Mapped[bool] = mapped_column(default=True)
    """Shown in the person's list: False when they chose mail only for this event (the row
    then only waits for their digest)."""
    digest_pending: Mapped[bool] = mapped_column(default=False)
    """Waits for the person's next digest mail (they chose a digest over single mails)."""
