"""Who a ticket belongs to: departments, assignment groups, categories, configuration items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base, IdType, utcnow

#: What a configuration item may be: places (site, building, floor, room), production
#: (line, machine) and services; ``other`` for the rest. Sources may name further kinds.
CI_KINDS = ("site", "line", "machine", "building", "floor", "room", "service", "other")
#: How much it matters when the item fails, lowest first.
CRITICALITIES = ("low", "medium", "high", "critical")


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
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="SET NULL"),
                                                  index=True)
    """The item this one is part of (a machine's line, a line's site, a room's floor)."""
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The person who answers for the item (a line's supervisor, a building's facility manager)."""
    criticality: Mapped[str] = mapped_column(String(16), default="medium", server_default="medium")
    """``low``, ``medium``, ``high`` or ``critical``: how much its failure costs."""


class OrgChange(Base):
    """One admin change to a department, group, category or configuration item.

    Rows outlive the item (no foreign key), so a deleted or merged item's story stays
    readable; ``item_name`` is its slug or key at the time.
    """

    __tablename__ = "org_changes"
    __table_args__ = (Index("ix_org_changes_item", "item_type", "item_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    item_type: Mapped[str] = mapped_column(String(16))
    """``department``, ``group``, ``category`` or ``ci``."""
    item_id: Mapped[int] = mapped_column(IdType)
    item_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    """``created``, ``updated``, ``deleted``, ``merged`` (into another), ``absorbed`` (another
    merged into it), ``member_added`` or ``member_removed``."""
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """``{field: [old, new]}`` for updates; counts and names for merges and deletions."""
