"""A person's data: export everything the hub holds about a customer, or erase it.

Erasure keeps the tickets (the team's figures and the SLA history stay true) but takes the
person out of them: requester fields, texts, files, status links, thread ids and the raw
events (mails, webhook bodies) those tickets came from. The customer record is emptied
and its identities go, so a later mail from the same address starts a fresh record. What stays is
said in docs/admin.md ("Privacy"), and the customers' audit keeps that an erasure happened,
by whom and what it removed, without naming the person.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import (
    Attachment,
    AttachmentBlob,
    AuditEvent,
    Comment,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerOrganisation,
    CustomerRiskFlag,
    InboundEvent,
    Notification,
    StatusToken,
    ThreadKey,
    Ticket,
)
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict
from hub.tracker import audit
from hub.tracker.customer_admin import record

ERASED = "[erased]"
#: The inbound event's meta key the raw-event retention also sets (hub.ingest.event_store.PRUNED).
PRUNED = "pruned_at"
#: Ticket fields an export lists.
_TICKET_FIELDS = ("ref", "kind", "title", "description", "status", "priority", "source", "requester_name",
                  "requester_email", "language", "tags", "custom_fields", "resolution", "csat_score",
                  "csat_comment", "created_at", "updated_at", "resolved_at", "closed_at")


def changed(result: Any) -> int:
    """The rows an UPDATE or DELETE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _row(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def _records(session: Session, customer: Customer) -> list[int]:
    """The customer's record and those merged into it: one person."""
    merged = session.scalars(select(Customer.id).where(Customer.merged_into_id == customer.id))
    return [customer.id, *merged]


def export_customer(*, session: Session, customer: Customer, actor: Actor) -> dict[str, Any]:
    """Everything the hub holds about the person, as JSON-ready data, attachments inline
    (base64). The export itself is audited."""
    records = _records(session, customer)
    tickets = list(session.scalars(select(Ticket).where(Ticket.customer_id.in_(records)).order_by(Ticket.id)))
    ids = [ticket.id for ticket in tickets]
    organisation = session.get(CustomerOrganisation, customer.organisation_id) if customer.organisation_id else None
    comments = session.scalars(select(Comment).where(Comment.ticket_id.in_(ids)).order_by(Comment.id))
    trail = session.scalars(select(AuditEvent).where(AuditEvent.ticket_id.in_(ids)).order_by(AuditEvent.id))
    files = session.execute(select(Attachment, AttachmentBlob.data).join(
        AttachmentBlob, AttachmentBlob.sha256 == Attachment.sha256).where(Attachment.ticket_id.in_(ids)))
    events = session.scalars(select(InboundEvent).where(InboundEvent.ticket_id.in_(ids)).order_by(InboundEvent.id))
    by_ticket: dict[int, dict[str, Any]] = {
        t.id: {**_row(t, _TICKET_FIELDS), "comments": [], "audit": [], "attachments": [], "raw_events": []}
        for t in tickets}
    for comment in comments:
        by_ticket[comment.ticket_id]["comments"].append(
            _row(comment, ("body", "visibility", "author_type", "author_name", "created_at")))
    for entry in trail:
        by_ticket[entry.ticket_id]["audit"].append(
            _row(entry, ("at", "action", "actor_type", "actor_name", "origin", "changes", "note")))
    for attachment, data in files:
        by_ticket[attachment.ticket_id]["attachments"].append({
            **_row(attachment, ("filename", "content_type", "size", "sha256", "visibility", "created_at")),
            "content_base64": base64.b64encode(data).decode("ascii")})
    for event in events:
        raw = event.body.decode("utf-8", "replace") if event.body is not None else None
        by_ticket[event.ticket_id or 0]["raw_events"].append({
            **_row(event, ("received_at", "content_type", "payload", "status", "action")), "body": raw})
    identities = session.scalars(select(CustomerIdentity).where(CustomerIdentity.customer_id.in_(records))
                                 .order_by(CustomerIdentity.id))
    history = session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id.in_(records))
                              .order_by(CustomerEvent.id))
    record(session, customer.id, "exported", actor, {"tickets": len(ids)})
    return {
        "exported_at": runtime_of(session).now().isoformat(),
        "customer": {**_row(customer, ("id", "display_name", "vip", "notes", "created_at")),
                     "organisation": organisation.name if organisation else None},
        "identities": [_row(i, ("kind", "value", "created_at")) for i in identities],
        "events": [_row(e, ("at", "action", "actor_name", "origin", "details", "note")) for e in history],
        "tickets": list(by_ticket.values()),
    }


def erase_customer(*, session: Session, customer: Customer, actor: Actor, note: str | None = None) -> dict[str, int]:
    """Take the person out of the hub (see the module's docstring); returns what was removed."""
    if customer.merged_into_id is not None:
        raise Conflict(f"This record is merged into customer {customer.merged_into_id}: erase that one.")
    now = runtime_of(session).now()
    records = _records(session, customer)
    ids = list(session.scalars(select(Ticket.id).where(Ticket.customer_id.in_(records))))
    counts = {"tickets": len(ids), "comments": 0, "attachments": 0, "raw_events": 0}
    if ids:
        counts.update(_anonymise_tickets(session, ids, now))
    counts["identities"] = changed(session.execute(delete(CustomerIdentity).where(
        CustomerIdentity.customer_id.in_(records))))
    session.execute(delete(CustomerEvent).where(CustomerEvent.customer_id.in_(records)))
    # Risk flags name tickets and hold the clearing agent's note about the person.
    session.execute(delete(CustomerRiskFlag).where(CustomerRiskFlag.customer_id.in_(records)))
    session.execute(update(Customer).where(Customer.id.in_(records)).values(
        display_name=ERASED, notes="", vip=False, organisation_id=None, owner_user_id=None, owner_group_id=None,
        merged_into_id=None, erased_at=now).execution_options(synchronize_session=False))
    session.expire(customer)
    record(session, customer.id, "erased", actor, counts, note)
    return counts


def _anonymise_tickets(session: Session, ids: list[int], now: datetime) -> dict[str, int]:
    plain = {"synchronize_session": False}
    session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(
        title=ERASED, description="", requester_name=None, requester_email=None, requester_user_id=None,
        customer_id=None, custom_fields={}, csat_comment=None, resolution=None).execution_options(**plain))
    comments = changed(session.execute(update(Comment).where(Comment.ticket_id.in_(ids)).values(body=ERASED).where(
        Comment.body != ERASED).execution_options(**plain)))
    session.execute(update(Comment).where(Comment.ticket_id.in_(ids), Comment.author_type == "requester")
                    .values(author_name=ERASED).execution_options(**plain))
    shas = set(session.scalars(select(Attachment.sha256).where(Attachment.ticket_id.in_(ids))))
    files = changed(session.execute(delete(Attachment).where(Attachment.ticket_id.in_(ids))))
    if shas:  # a file another ticket still holds stays for that ticket
        still = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(shas))))
        session.execute(delete(AttachmentBlob).where(AttachmentBlob.sha256.in_(shas - still)))
    raw = changed(session.execute(update(InboundEvent).where(
        InboundEvent.ticket_id.in_(ids), or_(InboundEvent.payload.is_not(None), InboundEvent.body.is_not(None)))
        .values(payload=None, body=None, meta={PRUNED: now.isoformat(), "erased": True})
        .execution_options(**plain)))
    session.execute(delete(StatusToken).where(StatusToken.ticket_id.in_(ids)))
    session.execute(delete(ThreadKey).where(ThreadKey.ticket_id.in_(ids)))
    session.execute(delete(Notification).where(Notification.ticket_id.in_(ids)))
    # The trail keeps who did what and when; the values and notes that may quote the person go.
    session.execute(update(AuditEvent).where(AuditEvent.ticket_id.in_(ids)).values(changes={}, note=None)
                    .execution_options(**plain))
    for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids))):
        audit.record(session, ticket, "erased", Actor.system("privacy", "privacy"),
                     note="The requester's personal data was erased.")
    _purge_search_index(session)
    return {"comments": comments, "attachments": files, "raw_events": raw}


def _purge_search_index(session: Session) -> None:
    """Make the search index forget the erased words, not only stop finding them.

    SQLite's FTS5 index records a change as a new segment that cancels the old one: the old
    title's words stay in the file until the segments are merged, so an erasure merges them
    all ('optimize'; seconds at a million tickets, and erasures are rare). On PostgreSQL the
    GIN index and the table drop dead rows at VACUUM, which autovacuum runs (docs/admin.md).
    """
    if session.get_bind().dialect.name == "sqlite":  # the table is hub.models.search_schema.FTS_TABLE
        session.execute(text("INSERT INTO tickets_fts(tickets_fts) VALUES ('optimize')"))
