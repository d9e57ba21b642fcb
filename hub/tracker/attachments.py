"""Attachments: stored once per checksum, linked to a ticket (and a comment), within limits."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Attachment, AttachmentBlob, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import NotFound, ValidationFailed
from hub.tracker.correlate import insert_ignoring_conflict
from hub.tracker.info import attachment_info

_UNSAFE_NAME = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


def safe_filename(name: str | None) -> str:
    """A filename that is safe to store and to offer for download (no paths, no controls)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = _UNSAFE_NAME.sub("_", base).strip(". ")
    return (base or "attachment")[:255]


def allowed(runtime_settings: dict[str, Any], content_type: str, size: int) -> str | None:
    """Why an attachment is refused, or None when it is fine."""
    limit = int(runtime_settings.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
    if size > limit:
        return f"larger than {limit} bytes"
    types = runtime_settings.get("ATTACHMENT_TYPES") or []
    main = content_type.split(";", 1)[0].strip().lower()
    if types and not any(main == t or (t.endswith("/*") and main.startswith(t[:-1])) for t in types):
        return f"type {main} is not allowed"
    return None


def store_attachment(
    session: Session, *, ticket: Ticket, filename: str | None, content_type: str, data: bytes,
    comment_id: int | None = None, event_id: int | None = None, inline: bool = False,
    content_id: str | None = None, visibility: str = "public", actor: Actor | None = None,
) -> Attachment:
    """Keep a file on a ticket; with an ``actor``, plugins hear of it (attachment_added),
    which is how it reaches the ticket's linked systems."""
    runtime = runtime_of(session)
    content_type = (content_type or "application/octet-stream").split(";", 1)[0].strip().lower()[:100]
    refusal = allowed(dict(runtime.settings), content_type, len(data))
    if refusal:
        raise ValidationFailed({"file": [f"{safe_filename(filename)}: {refusal}."]})
    digest = hashlib.sha256(data).hexdigest()
    insert_ignoring_conflict(session, AttachmentBlob.__table__,
                             {"sha256": digest, "size": len(data), "data": data, "created_at": runtime.now()},
                             ["sha256"])
    attachment = Attachment(
        ticket_id=ticket.id, comment_id=comment_id, event_id=event_id, filename=safe_filename(filename),
        content_type=content_type, size=len(data), sha256=digest, inline=inline,
        content_id=(content_id or "").strip("<>")[:255] or None, visibility=visibility, created_at=runtime.now(),
    )
    session.add(attachment)
    session.flush()
    if actor is not None:
        from hub.tracker.tickets import notify

        notify(session, "attachment_added", ticket=ticket, attachment=attachment_info(attachment), actor=actor)
    return attachment


def has_content(session: Session, ticket_id: int, sha256: str) -> bool:
    """Whether the ticket already holds a file with this content (one the hub sent out
    and now reads back, or the same file attached twice)."""
    return session.scalar(select(Attachment.id).where(Attachment.ticket_id == ticket_id,
                                                      Attachment.sha256 == sha256).limit(1)) is not None


def list_attachments(session: Session, ticket_id: int, *, public_only: bool = False) -> list[Attachment]:
    query = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if public_only:
        query = query.where(Attachment.visibility == "public")
    return list(session.scalars(query.order_by(Attachment.id)))


def attachment_content(session: Session, ticket_id: int, attachment_id: int) -> tuple[Attachment, bytes]:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.ticket_id != ticket_id:
        raise NotFound(f"No attachment {attachment_id} on this ticket.")
    blob = session.get(AttachmentBlob, attachment.sha256)
    assert blob is not None
    return attachment, blob.data
