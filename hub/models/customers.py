"""The people tickets come from: customers, the identities they write from, their organisations.

A customer is one person however they reach the hub: each address, phone number or account
in a synced system is an identity, unique across the hub, and a ticket from any of them
belongs to the same customer (``Ticket.customer_id``, set when the ticket is made).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, utcnow

#: What an identity may be: an e-mail address (lower case), a phone number (digits and a
#: leading +), or an account in a synced system (``rt``, ``jira``, ``servicenow``, a webhook's slug).
IDENTITY_KINDS = ("email", "phone", "account")


class CustomerOrganisation(Base):
    """A company, a cabin booking, a plant's customer: the people who belong together."""

    __tablename__ = "customer_organisations"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    vip: Mapped[bool] = mapped_column(default=False)
    """Every person of a VIP organisation counts as a VIP."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    """One person, with every identity they reach the hub from."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_organisation", "organisation_id"),
        Index("ix_customers_name", "display_name"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_organisations.id", ondelete="SET NULL"))
    vip: Mapped[bool] = mapped_column(default=False)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The agent who looks after this customer (told when they are at risk)."""
    owner_group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    """Or the group that does, when no one agent does."""
    notes: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    """Set while this record is merged into another: its identities and tickets moved there.
    Unmerging moves them back and clears it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]
    """When the person's data was erased (hub.tracker.privacy): the row stays, empty, so its id
    is never given to someone else and the audit's entry keeps pointing at no one."""


class CustomerIdentity(Base):
    """An address, number or account one customer writes from; unique across the hub."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        Index("ix_customer_identities_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    """One of IDENTITY_KINDS."""
    value: Mapped[str] = mapped_column(String(320))
    """Normalised: ``ana@example.com``, ``+4930123456``, ``rt:alice`` (system:account)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerEvent(Base):
    """The customers' audit: links, merges, unmerges, edits, exports and erasures.

    Kept without a foreign key so an erasure's entry outlives the record it erased; an
    erasure's entry names no identity, only that it happened, by whom and what it removed.
    """

    __tablename__ = "customer_events"
    __table_args__ = (Index("ix_customer_events_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    customer_id: Mapped[int] = mapped_column(IdType)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
