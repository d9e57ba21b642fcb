"""The tracker's records: tickets (incidents, changes and problems) and what hangs off them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, JSONType, utcnow

# PostgreSQL numbers tickets from sequences, so concurrent creates never wait on a counter
# row; SQLite serialises writers anyway and uses the ticket_counters table.
INCIDENT_NUMBER_SEQ = Sequence("incident_number_seq", metadata=Base.metadata)
CHANGE_NUMBER_SEQ = Sequence("change_number_seq", metadata=Base.metadata)
PROBLEM_NUMBER_SEQ = Sequence("problem_number_seq", metadata=Base.metadata)


class TicketCounter(Base):
    """Next ticket number per kind, used where the database has no sequences (SQLite)."""

    __tablename__ = "ticket_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """One fault or request (an incident), planned change (a change) or cause behind incidents (a problem)."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("kind", "number"),
        Index("ix_tickets_kind_updated", "kind", "updated_at", "id"),
        Index("ix_tickets_kind_created", "kind", "created_at", "id"),
        Index("ix_tickets_kind_status_updated", "kind", "status", "updated_at", "id"),
        Index("ix_tickets_kind_priority_updated", "kind", "priority", "updated_at", "id"),
        Index("ix_tickets_kind_priority_id", "kind", "priority", "id"),  # sort=priority pages by (priority, id)
        Index("ix_tickets_department_updated", "department_id", "updated_at", "id"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_group_status", "group_id", "status"),
        Index("ix_tickets_category", "category_id"),
        Index("ix_tickets_ci", "ci_id"),
        Index("ix_tickets_source_updated", "source", "updated_at"),
        Index("ix_tickets_requester_email", "requester_email"),
        Index("ix_tickets_customer_created", "customer_id", "created_at", "id"),
        Index("ix_tickets_kind_resolved", "kind", "resolved_at"),
        # The SLA filters (sla=breached, sla=due_soon) look tickets up by their due times.
        Index("ix_tickets_response_due", "response_due_at"),
        Index("ix_tickets_resolve_due", "resolve_due_at"),
        Index("ix_tickets_sla_breached", "sla_breached_at"),
        # A main ticket lists its duplicates.
        Index("ix_tickets_duplicate_of", "duplicate_of_id"),
        # A major incident lists its children; the attach rule finds open majors by item and key.
        Index("ix_tickets_major_incident", "major_incident_id"),
        Index("ix_tickets_major", "major_at", postgresql_where=text("is_major"), sqlite_where=text("is_major")),
        # The Insights figures' newest survey comments and recurring alarm keys: partial,
        # so they hold only the tickets that have one and those lookups skip the rest.
        Index("ix_tickets_csat_comment", "id", postgresql_where=text("csat_comment IS NOT NULL"),
              sqlite_where=text("csat_comment IS NOT NULL")),
        Index("ix_tickets_correlated", "created_at", postgresql_where=text("correlation_key IS NOT NULL"),
              sqlite_where=text("correlation_key IS NOT NULL")),
        # Free-text search lives beside the models: hub.models.search_schema.
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``incident``, ``change`` or ``problem``."""
    # On PostgreSQL a trigger fills both as the row is written (migration 0027) and the
    # INSERT returns them; SQLite is given them (hub.tracker.numbering).
    number: Mapped[int] = mapped_column(Integer, server_default=FetchedValue())
    ref: Mapped[str] = mapped_column(String(24), unique=True, server_default=FetchedValue())
    """``INC-000042``, ``CHG-000007`` or ``PRB-000003``: the number people quote."""
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32))
    impact: Mapped[str] = mapped_column(String(8), default="medium")
    urgency: Mapped[str] = mapped_column(String(8), default="medium")
    priority: Mapped[int] = mapped_column(SmallInteger)
    """1 (critical) to 5 (planning), from impact x urgency unless set by a rule."""

    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))

    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    requester_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    """The customer the requester is (hub.tracker.customers), matched when the ticket is made."""
    language: Mapped[str | None] = mapped_column(String(16))
    """The requester's language (``es``), one of HUB_LANGUAGES: mails and the status page speak
    it. None when it is not known (a mail): they speak HUB_DEFAULT_LANGUAGE."""

    source: Mapped[str] = mapped_column(String(64), default="api")
    """The channel it arrived through: ``api``, ``ui`` or a connector slug."""
    source_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_instances.id", ondelete="SET NULL")
    )
    correlation_key: Mapped[str | None] = mapped_column(String(255))
    """The key repeats of the same problem share (an alarm's site/line/machine/code)."""
    occurrence_count: Mapped[int] = mapped_column(Integer, default=1)
    last_seen_at: Mapped[datetime | None]
    flapping: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    # Changes only.
    change_type: Mapped[str | None] = mapped_column(String(16))
    """``standard``, ``normal`` or ``emergency``."""
    risk: Mapped[str | None] = mapped_column(String(8))
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]

    # Problems only.
    root_cause: Mapped[str | None] = mapped_column(Text)
    """Why the problem's incidents happen, once found; a problem resolves only with one."""
    workaround: Mapped[str | None] = mapped_column(Text)
    """How to restore service meanwhile; a known error has one, and agents see it on each new
    incident with the problem's configuration item and incident key."""
    incident_key: Mapped[str | None] = mapped_column(String(255))
    """The correlation key the problem's incidents share (an alarm's site/line/machine/code).
    Kept apart from ``correlation_key``, which ingest reads to attach, reopen and damp alarms."""

    resolution: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    """The main ticket this one was merged into (closed as its duplicate); None for the rest.
    Never a chain: a main ticket is never itself a duplicate (hub.tracker.merge)."""
    is_major: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A major incident (hub.tracker.majors): its public updates reach each child's requester
    and its resolution resolves its children."""
    major_at: Mapped[datetime | None]
    """When it was promoted to major: the start of the window in which new incidents with its
    item or key are attached to it (HUB_MAJOR_ATTACH_MINUTES)."""
    major_incident_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    """The major incident this one is a child of. Never a chain: a major is no child."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    """First public answer or acknowledgement by an agent: the start of MTTA."""
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    response_breached_at: Mapped[datetime | None]
    """The response due time the ticket missed, recorded once by the SLA plugin; it stays
    when the ticket is escalated, answered or its policy changes."""
    resolve_breached_at: Mapped[datetime | None]
    """The resolution due time the ticket missed, recorded once (as ``response_breached_at``)."""
    sla_breached_at: Mapped[datetime | None]
    """The first target missed (the earlier of the two above): the ``sla=breached`` filter's index."""
    sla_paused_at: Mapped[datetime | None]
    """When the SLA clocks stopped (a pause state such as on hold); None while they run."""

    csat_score: Mapped[int | None] = mapped_column(SmallInteger)
    csat_comment: Mapped[str | None] = mapped_column(Text)

    version: Mapped[int] = mapped_column(Integer, default=1)
    """Raised by every change; the API's ETag and the guard against lost updates."""

    __mapper_args__ = {"version_id_col": version}


class CorrelationKey(Base):
    """The open ticket that repeats of a key attach to.

    A row exists while the ticket takes occurrences. Ingest claims a key with
    ``INSERT ... ON CONFLICT DO NOTHING`` before it makes the ticket, so concurrent
    first occurrences wait for the one that won and attach to its ticket.
    """

    __tablename__ = "correlation_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    """None only inside the transaction that claimed the key and is making its ticket."""
    reopen: Mapped[bool] = mapped_column(default=True)
    """Whether a repeat after the ticket was resolved reopens it (True) or opens a new one."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadKey(Base):
    """A message id (or any source's thread id) the hub has seen or sent for a ticket.

    A reply naming one of these (In-Reply-To, References) lands on that ticket.
    """

    __tablename__ = "thread_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplayGuard(Base):
    """Webhook signatures seen within their replay window, with the event they carried."""

    __tablename__ = "replay_guards"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_ticket", "ticket_id", "id"),
        # One copy of a major incident's update per child: a retried relay adds none.
        UniqueConstraint("ticket_id", "relayed_from_id", name="uq_comments_relayed"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    """``public`` (the requester sees it) or ``internal`` (agents only)."""
    author_type: Mapped[str] = mapped_column(String(16))
    author_name: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    origin_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_instances.id", ondelete="SET NULL")
    )
    """The connector instance it came from; it is never sent back there."""
    relayed_from_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    """The major incident's public update this comment repeats on a child (hub.tracker.majors)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    approver_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approver_name: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """The change's approval round: reworked after a rejection, it is assessed afresh and the
    decisions of earlier rounds no longer count towards the quorum."""
    after_the_fact: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Given after the change was implemented (an emergency change)."""
    channel: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    """``ui``, ``api`` or ``mail`` (the one-click link)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """One change to a ticket: who, through what, and which fields moved from what to what."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_type: Mapped[str] = mapped_column(String(16))
    """``user``, ``token``, ``connector``, ``plugin``, ``requester`` or ``system``."""
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(120))
    """The channel of the change: ``api``, ``ui``, ``connector:<instance>``, ``plugin:<name>``."""
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """``{field: [old, new]}`` for updates; details for other actions."""
    note: Mapped[str | None] = mapped_column(Text)


class ExternalLink(Base):
    """The same ticket in another system: which instance, its id there, and the sync state."""

    __tablename__ = "external_links"
    __table_args__ = (UniqueConstraint("instance_id", "external_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("connector_instances.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1000))
    sync_version: Mapped[int] = mapped_column(Integer, default=0)
    """Raised each time the hub sends this link a change; orders outbound updates."""
    remote_version: Mapped[str | None] = mapped_column(String(64))
    """The remote record's own version (sys_mod_count, updated time, ETag) last seen."""
    last_synced_hash: Mapped[str | None] = mapped_column(String(64))
    """Hash of the mapped fields last exchanged: an update that matches it is an echo."""
    last_synced_at: Mapped[datetime | None]
    sync_state: Mapped[str] = mapped_column(String(16), default="ok")
    last_error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Per-link bookkeeping a connector keeps (remote comment ids already seen, ...)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
