"""Links between tickets: related, parent and child, caused by (an incident a change caused),
problem of (a problem behind an incident)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow

#: What a link says, read from its source: ``source <kind> target``.
LINK_KINDS = ("related", "parent_of", "caused_by", "problem_of")


class TicketLink(Base):
    """``source`` is related to / the parent of / caused by / the problem behind ``target``."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind"),
        CheckConstraint("source_id <> target_id", name="not_itself"),
        Index("ix_ticket_links_target", "target_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
