"""Snapshots of ORM rows for plugins and connectors (hub.sdk.values)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Attachment, Comment, ExternalLink, InboundEvent, Ticket
from hub.sdk.values import AttachmentInfo, CommentInfo, EventInfo, LinkInfo, TicketInfo
from hub.tracker.org import name_for


def ticket_info(session: Session, ticket: Ticket) -> TicketInfo:
    return TicketInfo(
        id=ticket.id,
        ref=ticket.ref,
        kind=ticket.kind,
        title=ticket.title,
        description=ticket.description,
        status=ticket.status,
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        department=name_for(session, "department", ticket.department_id),
        category=name_for(session, "category", ticket.category_id),
        ci=name_for(session, "ci", ticket.ci_id),
        group=name_for(session, "group", ticket.group_id),
        assignee=name_for(session, "user", ticket.assignee_id),
        requester_name=ticket.requester_name,
        requester_email=ticket.requester_email,
        source=ticket.source,
        source_instance_id=ticket.source_instance_id,
        correlation_key=ticket.correlation_key,
        occurrence_count=ticket.occurrence_count,
        tags=list(ticket.tags or []),
        custom_fields=dict(ticket.custom_fields or {}),
        change_type=ticket.change_type,
        risk=ticket.risk,
        planned_start=ticket.planned_start,
        planned_end=ticket.planned_end,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        acknowledged_at=ticket.acknowledged_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        response_due_at=ticket.response_due_at,
        resolve_due_at=ticket.resolve_due_at,
        version=ticket.version,
        flapping=bool(ticket.flapping),
        duplicate_of=duplicate_ref(session, ticket),
        language=ticket.language,
    )


def duplicate_ref(session: Session, ticket: Ticket) -> str | None:
    """The reference of the ticket's main ticket when it is a merged duplicate (else None, and no query)."""
    if ticket.duplicate_of_id is None:
        return None
    return session.scalar(select(Ticket.ref).where(Ticket.id == ticket.duplicate_of_id))


def major_ref(session: Session, ticket: Ticket) -> str | None:
    """The reference of the major incident the ticket is a child of (else None, and no query)."""
    if ticket.major_incident_id is None:
        return None
    return session.scalar(select(Ticket.ref).where(Ticket.id == ticket.major_incident_id))


def comment_info(comment: Comment, public_author: str = "") -> CommentInfo:
    return CommentInfo(
        id=comment.id,
        ticket_id=comment.ticket_id,
        body=comment.body,
        visibility=comment.visibility,
        author_type=comment.author_type,
        author_name=comment.author_name,
        origin_instance_id=comment.origin_instance_id,
        created_at=comment.created_at,
        public_author=public_author,
    )


def attachment_info(attachment: Attachment) -> AttachmentInfo:
    return AttachmentInfo(
        id=attachment.id,
        ticket_id=attachment.ticket_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        visibility=attachment.visibility,
        comment_id=attachment.comment_id,
        created_at=attachment.created_at,
    )


def event_info(event: InboundEvent) -> EventInfo:
    return EventInfo(
        id=event.id,
        instance_id=event.instance_id,
        idempotency_key=event.idempotency_key,
        received_at=event.received_at,
        payload=event.payload,
        body=event.body,
        content_type=event.content_type,
        meta=dict(event.meta or {}),
    )


def link_info(link: ExternalLink) -> LinkInfo:
    return LinkInfo(
        id=link.id,
        ticket_id=link.ticket_id,
        instance_id=link.instance_id,
        external_id=link.external_id,
        url=link.url,
        sync_version=link.sync_version,
        remote_version=link.remote_version,
        last_synced_hash=link.last_synced_hash,
        data=dict(link.data or {}),
    )
