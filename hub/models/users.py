"""People and machines that act on the hub: users and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, IdType, utcnow
from hub.models.org import group_members

ROLES = ("admin", "agent", "requester", "connector")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    """The name requesters see on replies (never the login); empty means "the team"."""
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    """IANA zone (``Europe/Berlin``) the user's pages show times in."""
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    """Language tag (``de``, ``fr-CH``); stored for the day the pages are translated."""
    session_epoch: Mapped[int] = mapped_column(default=0)
    """Raised to sign the user out everywhere: sessions carry the epoch they began in."""
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """What the person chose in plugins' settings pages, by plugin name (``{"agent-notify":
    {...}}``); read and written through ``hub.sdk.hub_services``."""
    groups = relationship("Group", secondary=group_members, lazy="raise", back_populates="members")


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The first characters of the token, so an admin can tell tokens apart."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    """The token's role: the user's role when bound to a user, else its own."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
