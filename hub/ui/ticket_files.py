"""Files on the pages: the list on the ticket page (every channel's), uploads with or without a
comment, inline previews of photos and PDFs, downloads; and the public files on the status page.

A file is shown inline only when its stored type is one a browser renders without running
anything (raster images, PDF); every other file, and every file whose type is not on that list,
is an opaque download. The templates are includes (``ui/tickets/_files.html``,
``status/_files.html``), so the ticket page's own parts stay as they are.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, abort, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.context import actor, reading, unit_of_work
from hub.auth.web import public
from hub.models import Attachment, ConnectorInstance, InboundEvent, Ticket
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import attachments, comments, tickets
from hub.tracker.status_links import ticket_for_token
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors
from hub.ui.tickets import bp

#: Types shown inline: raster images (in an <img>) and PDF (the browser's viewer). Never SVG or
#: HTML, which can carry script.
PREVIEW_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_TYPES = PREVIEW_IMAGES | {"application/pdf"}
#: A file shown inline runs nothing of the page's and is framed by nobody. A photo is also
#: sandboxed; a PDF is not, because browsers refuse to start their PDF viewer in a sandbox.
IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
PDF_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
MAX_FILES = 10


def describe_files(session: Session, ticket: Ticket, *, public_only: bool = False) -> list[dict[str, Any]]:
    """The ticket's files as the pages show them: name, size, type, who sees it, where it came from."""
    rows = attachments.list_attachments(session, ticket.id, public_only=public_only)
    event_ids = {row.event_id for row in rows if row.event_id is not None}
    # The channel a file came through: the name of the connector instance that received it.
    sources: dict[int, str] = {}
    if event_ids:
        # .all(): dict() of a bare Result would take it for a mapping (it has keys()).
        sources = dict(session.execute(
            select(InboundEvent.id, ConnectorInstance.name)
            .join(ConnectorInstance, ConnectorInstance.id == InboundEvent.instance_id)
            .where(InboundEvent.id.in_(event_ids))).all())
    return [{
        "id": row.id, "filename": row.filename, "content_type": row.content_type, "size": _size(row.size),
        "bytes": row.size,
        "visibility": row.visibility, "created_at": row.created_at, "image": row.content_type in PREVIEW_IMAGES,
        "preview": row.content_type in PREVIEW_TYPES,
        "channel": sources.get(row.event_id) if row.event_id else ("comment" if row.comment_id else "upload"),
    } for row in rows]


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


@bp.app_context_processor
def file_helpers() -> dict[str, Any]:
    """``ticket_files(ticket)`` for the ticket page's include, read in the page's own request."""
    def ticket_files(ticket: Ticket) -> list[dict[str, Any]]:
        with reading() as session:
            return describe_files(session, ticket)

    def public_files(ticket: Ticket) -> list[dict[str, Any]]:
        with reading() as session:
            return describe_files(session, ticket, public_only=True)

    return {"ticket_files": ticket_files, "public_files": public_files, "max_files": MAX_FILES}


def file_response(attachment: Attachment, data: bytes, *, inline: bool) -> Response:
    """The file itself: inline (previewable types only) or as an opaque download."""
    if inline and attachment.content_type in PREVIEW_TYPES:
        response = Response(data, mimetype=attachment.content_type)
        response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(attachment.filename)}"
        response.headers["Content-Security-Policy"] = (
            IMAGE_POLICY if attachment.content_type in PREVIEW_IMAGES else PDF_POLICY)
    else:
        response = Response(data, mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/tickets/<ref>/files/<int:file_id>")
@login_required("tickets:read")
def ticket_file(ref: str, file_id: int) -> Any:
    with reading() as session:
        ticket = tickets.get_ticket(session, ref)
        attachment, data = attachments.attachment_content(session, ticket.id, file_id)
    return file_response(attachment, data, inline=request.args.get("view") == "1")


@bp.post("/tickets/<ref>/files")
@login_required("tickets:write")
def upload_files(ref: str) -> Any:
    """Add files, with a comment when text is given; both public or both internal."""
    uploads = [upload for upload in request.files.getlist("files") if upload and upload.filename]
    visibility = request.form.get("visibility") or "internal"
    body = (request.form.get("body") or "").strip()
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        if not uploads:
            raise ValidationFailed({"file": ["Choose at least one file."]})
        if len(uploads) > MAX_FILES:
            raise ValidationFailed({"file": [f"At most {MAX_FILES} files at once."]})
        if visibility not in ("public", "internal"):
            raise ValidationFailed({"visibility": ["Must be public or internal."]})
        ticket = tickets.get_ticket(session, ref, for_update=True)
        comment_id = None
        if body:
            comment_id = comments.add_comment(session=session, ticket=ticket, body=body, visibility=visibility,
                                              actor=actor("ui")).id
        for upload in uploads:
            attachments.store_attachment(session, ticket=ticket, filename=upload.filename,
                                         content_type=upload.mimetype or "application/octet-stream",
                                         data=upload.read(), comment_id=comment_id, visibility=visibility,
                                         actor=actor("ui"))
        count = f"{len(uploads)} file{'s' if len(uploads) != 1 else ''}"
        done = f"Added {count}{' with a comment' if body else ''}; " + (
            "the requester sees them." if visibility == "public" else "internal: agents only.")
    if done:
        flash(done, "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=ref) + "#files", code=303)


# On this blueprint, not the status page's: that one is registered before the pages' modules
# load. Its two privacy headers are set here by hand for the same reason.
@bp.get("/s/<token>/files/<int:file_id>")
@public
def status_file(token: str, file_id: int) -> Any:
    """A public file of the requester's ticket, through the status link (never an internal one)."""
    with unit_of_work() as session:
        ticket = ticket_for_token(session, token)
        if ticket is None:
            abort(404, "This status link is not valid (any more). Ask the team for a new one.")
        attachment, data = attachments.attachment_content(session, ticket.id, file_id)
        if attachment.visibility != "public":
            abort(404, "No such file on this request.")
    response = file_response(attachment, data, inline=request.args.get("view") == "1")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
