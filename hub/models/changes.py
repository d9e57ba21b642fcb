"""Change governance: who approves which changes (CAB policies), the standard-change
catalogue, freeze windows per site, and the one-click approval links mailed to approvers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow


class ApprovalPolicy(Base):
    """Which group decides on changes of a type (and risk), and how many of it must approve.

    A change takes the policy of its type and risk, else its type's policy for any risk
    (``risk`` None); with none, one approval by any agent who did not ask for it suffices.
    """

    __tablename__ = "approval_policies"
    __table_args__ = (UniqueConstraint("change_type", "risk"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    change_type: Mapped[str] = mapped_column(String(16))
    """``standard``, ``normal`` or ``emergency``."""
    risk: Mapped[str | None] = mapped_column(String(8))
    """``low``, ``medium`` or ``high``; None: any risk without a policy of its own."""
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    """The change advisory board: its members decide."""
    quorum: Mapped[int] = mapped_column(SmallInteger, default=1)
    """How many members must approve (2 of a board of 5)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeTemplate(Base):
    """A standard change in the catalogue: made from it, a change is approved at once."""

    __tablename__ = "change_templates"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    risk: Mapped[str] = mapped_column(String(8), default="low")
    plan: Mapped[str] = mapped_column(Text, default="")
    """The implementation plan every change from the template follows."""
    active: Mapped[bool] = mapped_column(default=True)
    """A retired template stays for the changes made from it but offers no new ones."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FreezeWindow(Base):
    """A time in which no change may be approved or scheduled at a site (peak season, audit)."""

    __tablename__ = "freeze_windows"
    __table_args__ = (Index("ix_freeze_windows_time", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="CASCADE"),
                                                index=True)
    """The configuration item (a site) it covers with everything under it; None: every site."""
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalLink(Base):
    """A one-click approval link mailed to one approver for one change: signed, expiring, used once.

    The mailed token is signed with the app's secret and names this row and a nonce, of
    which only the hash is kept; using it stamps ``used_at``, so a second click does nothing.
    """

    __tablename__ = "approval_links"
    __table_args__ = (Index("ix_approval_links_ticket", "ticket_id", "user_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nonce_hash: Mapped[str] = mapped_column(String(64))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    """The change's approval round it was issued for; a link of an earlier round is void."""
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
