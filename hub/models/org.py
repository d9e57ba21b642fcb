"""Who a ticket belongs to: departments, assignment groups, categories, configuration items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, IdType, utcnow


class Department(Base):
    """A team outside IT that receives tickets: customer service, quality, facilities."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    """Where escalations for the department go when no group or manager is named."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


group_members = Table(
    "group_members",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    """An assignment group: the agents who share a queue of work."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    members = relationship("User", secondary=group_members, lazy="raise", back_populates="groups")


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("department_id", "slug"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))


class ConfigurationItem(Base):
    """Something that can fail or be changed: a machine, a line, a site, a service, a room."""

    __tablename__ = "configuration_items"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    """Stable identifier as sources name it, e.g. ``plant-a/line3/filler-2``."""
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="service")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(Text)
