"""/api/v1/incidents, /api/v1/changes and /api/v1/problems: one blueprint factory, the same routes
for each kind, and each kind's own (a change's approvals, a problem's incidents, an incident's known errors)."""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

import marshmallow as ma
from flask import Response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from hub.api.bulk import add_bulk_routes
from hub.api.context import actor, etag_for, expected_version, principal, reading, unit_of_work
from hub.api.links import add_link_routes
from hub.api.majors import add_major_routes
from hub.api.presenters import PLURAL, present_ticket, ticket_values
from hub.api.schemas.tickets import (
    ApprovalInSchema,
    ApprovalSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    AuditArgs,
    AuditEventSchema,
    ChangeCreateSchema,
    ChangePatchSchema,
    CommentInSchema,
    CommentSchema,
    IncidentCreateSchema,
    IncidentPatchSchema,
    KnownErrorSchema,
    ProblemCreateSchema,
    ProblemPatchSchema,
    TicketListArgs,
    TicketPageSchema,
    TicketSchema,
    TransitionSchema,
)
from hub.auth.web import requires
from hub.ingest.pipeline import open_ticket
from hub.models import Ticket
from hub.sdk.tracker_errors import NotFound, ValidationFailed
from hub.tracker import approvals, attachments, audit, comments, problems, tickets
from hub.tracker.queries import TicketFilter, custom_filters, list_tickets

SCHEMAS = {
    "incident": (IncidentCreateSchema, IncidentPatchSchema),
    "change": (ChangeCreateSchema, ChangePatchSchema),
    "problem": (ProblemCreateSchema, ProblemPatchSchema),
}


def _visible(ticket: Ticket) -> Ticket:
    """Requesters see only their own tickets; to them others do not exist."""
    caller = principal()
    if caller.can("tickets:read"):
        return ticket
    own = (caller.user_id is not None and ticket.requester_user_id == caller.user_id) or (
        caller.email is not None and (ticket.requester_email or "").lower() == caller.email.strip().lower()
    )
    if not own:
        raise NotFound(f"No {ticket.kind} {ticket.ref}.")
    return ticket


def _with_etag(session: Session, ticket: Ticket, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    return present_ticket(session, ticket), status, {"ETag": etag_for(ticket.version)}


@functools.cache
def make_blueprint(kind: str) -> Blueprint:
    """The routes of one ticket kind. Built once a process, like the module-level blueprints:
    a blueprint serves every app it is registered on, and building one decorates some forty
    views (a tenth of what building an app costs)."""
    plural = PLURAL[kind]
    bp = Blueprint(plural, __name__, url_prefix=f"/api/v1/{plural}", description=f"{plural.capitalize()}.")
    _add_list_routes(bp, kind)
    add_bulk_routes(bp, kind)  # before the item routes: /bulk is no reference
    _add_item_routes(bp, kind)
    _add_comment_routes(bp, kind)
    add_link_routes(bp, kind)
    _add_file_routes(bp, kind)
    if kind == "change":
        _add_approval_routes(bp, kind)
    if kind == "incident":
        _add_known_error_route(bp, kind)
        add_major_routes(bp)
    return bp


def _add_list_routes(bp: Blueprint, kind: str) -> None:
    """The list with its filters, and opening a new one."""
    plural = PLURAL[kind]
    create_schema = SCHEMAS[kind][0]

    @bp.route("")
    class TicketCollection(MethodView):
        @requires("tickets:read")
        @bp.arguments(TicketListArgs, location="query", unknown=ma.RAISE)
        @bp.response(200, TicketPageSchema)
        def get(self, args: dict[str, Any]) -> Any:
            """List with filters, newest change first; page on with ``cursor``."""
            caller = principal()
            flt = TicketFilter(
                kind=kind,
                status=args.get("status") or [],
                priority=args.get("priority") or [],
                department=args.get("department"),
                category=args.get("category"),
                assignee=args.get("assignee"),
                group=args.get("group"),
                source=args.get("source"),
                ci=args.get("ci"),
                requester_email=args.get("requester_email"),
                q=args.get("q"),
                updated_since=args.get("updated_since"),
                open_only=bool(args.get("open")),
                sla=args.get("sla"),
                custom=custom_filters(args.get("custom") or []),
            )
            if not caller.can("tickets:read"):
                if not caller.email:
                    return {"items": [], "next_cursor": None}  # a requester without an address owns no ticket
                flt.requester_email = caller.email
            with reading() as session:
                page = list_tickets(session, flt, sort=args["sort"], limit=args["limit"], cursor=args.get("cursor"))
                body = {"items": [present_ticket(session, t) for t in page.items], "next_cursor": page.next_cursor}
            headers = {}
            if page.next_cursor:
                query: dict[str, Any] = {**request.args.to_dict(), "cursor": page.next_cursor}
                headers["Link"] = f'<{url_for(f"{plural}.TicketCollection", **query)}>; rel="next"'
            return body, 200, headers

        @requires("tickets:create")
        @bp.arguments(create_schema)
        @bp.response(201, TicketSchema)
        def post(self, data: dict[str, Any]) -> Any:
            """Open a new one. Priority follows impact x urgency unless given."""
            caller = principal()
            values = ticket_values(data)
            incidents = values.pop("incidents", None)
            if kind == "problem" and not caller.can("tickets:write"):
                raise Forbidden("Problems are opened by agents.")
            if kind == "problem" and not incidents and not (values.get("title") or "").strip():
                raise ValidationFailed({"title": ["A title is required (or name the incidents to open it from)."]})
            if not caller.can("tickets:write"):
                # Requesters open tickets for themselves only.
                values.update(requester_name=caller.name, requester_email=caller.email)
                for name in ("assignee", "group", "priority"):
                    values.pop(name, None)
            with unit_of_work() as session:
                if incidents:
                    ticket = problems.open_problem(session=session, incident_refs=incidents, values=values,
                                                   actor=actor())
                else:
                    ticket = open_ticket(session=session, kind=kind, values=values, actor=actor(), source="api")
                if not caller.can("tickets:write"):
                    ticket.requester_user_id = caller.user_id
                body, _, headers = _with_etag(session, ticket)
            headers["Location"] = body["url"]
            return body, 201, headers


def _add_item_routes(bp: Blueprint, kind: str) -> None:
    """One ticket: read it, change its fields, move it to another state."""
    patch_schema = SCHEMAS[kind][1]

    @bp.route("/<ref>")
    class TicketItem(MethodView):
        @requires("tickets:read")
        @bp.response(200, TicketSchema)
        def get(self, ref: str) -> Any:
            with reading() as session:
                ticket = _visible(tickets.get_ticket(session, ref, kind=kind))
                return _with_etag(session, ticket)

        @requires("tickets:write")
        @bp.arguments(patch_schema)
        @bp.response(200, TicketSchema)
        def patch(self, data: dict[str, Any], ref: str) -> Any:
            """Change fields; send If-Match with the ETag you read to avoid lost updates."""
            with unit_of_work() as session:
                ticket = tickets.get_ticket(session, ref, kind=kind, for_update=True)
                tickets.update_ticket(session=session, ticket=ticket, values=ticket_values(data), actor=actor(),
                                      expected_version=expected_version())
                return _with_etag(session, ticket)

    @bp.route("/<ref>/transitions", methods=["POST"])
    @requires("tickets:write")
    @bp.arguments(TransitionSchema)
    @bp.response(200, TicketSchema)
    def transition(data: dict[str, Any], ref: str) -> Any:
        """Move to another state; 409 lists the states allowed from here."""
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, kind=kind, for_update=True)
            if kind == "change" and data["to"] in approvals.DECISIONS:
                approvals.decide(session=session, ticket=ticket, decision=data["to"], actor=actor(),
                                 comment=data.get("note", ""), expected_version=expected_version(),
                                 override_reason=data.get("override_reason"))
            else:
                tickets.transition_ticket(session=session, ticket=ticket, to=data["to"], actor=actor(),
                                          note=data.get("note"), resolution=data.get("resolution"),
                                          expected_version=expected_version(),
                                          override_reason=data.get("override_reason"))
            return _with_etag(session, ticket)


def _add_comment_routes(bp: Blueprint, kind: str) -> None:
    """A ticket's comments and its audit trail."""

    @bp.route("/<ref>/comments")
    class Comments(MethodView):
        @requires("tickets:read")
        @bp.response(200, CommentSchema(many=True))
        def get(self, ref: str) -> Any:
            with reading() as session:
                ticket = _visible(tickets.get_ticket(session, ref, kind=kind))
                public_only = not principal().can("tickets:read")
                return comments.list_comments(session, ticket.id, public_only=public_only)

        @requires("tickets:write")
        @bp.arguments(CommentInSchema)
        @bp.response(201, CommentSchema)
        def post(self, data: dict[str, Any], ref: str) -> Any:
            with unit_of_work() as session:
                ticket = tickets.get_ticket(session, ref, kind=kind, for_update=True)
                return comments.add_comment(session=session, ticket=ticket, body=data["body"],
                                            visibility=data["visibility"], actor=actor())

    @bp.route("/<ref>/audit", methods=["GET"])
    @requires("tickets:read")
    @bp.arguments(AuditArgs, location="query", unknown=ma.RAISE)
    @bp.response(200, AuditEventSchema(many=True))
    def audit_trail(args: dict[str, Any], ref: str) -> Any:
        """Every change: who, through which channel, which fields from what to what."""
        if not principal().can("tickets:read"):
            # The trail names agents, internal fields and channels: staff only, even for one's own ticket.
            raise Forbidden("The audit trail is for staff.")
        with reading() as session:
            ticket = _visible(tickets.get_ticket(session, ref, kind=kind))
            return audit.history(session, ticket.id, after_id=args.get("after"), limit=args["limit"])


def _add_file_routes(bp: Blueprint, kind: str) -> None:
    """A ticket's files: list, upload, download."""

    @bp.route("/<ref>/attachments")
    class Attachments(MethodView):
        @requires("tickets:read")
        @bp.response(200, AttachmentSchema(many=True))
        def get(self, ref: str) -> Any:
            with reading() as session:
                ticket = _visible(tickets.get_ticket(session, ref, kind=kind))
                return attachments.list_attachments(session, ticket.id, public_only=not principal().can("tickets:read"))

        @requires("tickets:write")
        @bp.arguments(AttachmentUploadSchema, location="form")
        @bp.response(201, AttachmentSchema)
        def post(self, data: dict[str, Any], ref: str) -> Any:
            """Upload a file (multipart/form-data, field ``file``)."""
            upload = request.files.get("file")
            if upload is None:
                raise ValidationFailed({"file": ["Send the file as multipart/form-data in a field named file."]})
            with unit_of_work() as session:
                ticket = tickets.get_ticket(session, ref, kind=kind, for_update=True)
                return attachments.store_attachment(session, ticket=ticket, filename=upload.filename,
                                                    content_type=upload.mimetype or "application/octet-stream",
                                                    data=upload.read(), visibility=data["visibility"],
                                                    actor=actor())

    @bp.route("/<ref>/attachments/<int:attachment_id>", methods=["GET"])
    @requires("tickets:read")
    @bp.response(200, description="The file, always as a download.")
    def download(ref: str, attachment_id: int) -> Any:
        with reading() as session:
            ticket = _visible(tickets.get_ticket(session, ref, kind=kind))
            attachment, data = attachments.attachment_content(session, ticket.id, attachment_id)
            if attachment.visibility != "public" and not principal().can("tickets:read"):
                raise NotFound(f"No attachment {attachment_id} on this ticket.")
        # Served as an opaque download whatever its type, so an uploaded page never runs.
        response = Response(data, mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _add_approval_routes(bp: Blueprint, kind: str) -> None:
    """A change's approvals: list them, approve or reject."""

    @bp.route("/<ref>/approvals")
    class Approvals(MethodView):
        @requires("tickets:read")
        @bp.response(200, ApprovalSchema(many=True))
        def get(self, ref: str) -> Any:
            with reading() as session:
                ticket = _visible(tickets.get_ticket(session, ref, kind=kind))
                return approvals.list_approvals(session, ticket.id)

        @requires("tickets:write")
        @bp.arguments(ApprovalInSchema)
        @bp.response(201, ApprovalSchema)
        def post(self, data: dict[str, Any], ref: str) -> Any:
            """Approve or reject a change in assessment (or an emergency change after the fact).

            With a board for its type and risk, only members decide and the change is approved
            once the quorum approves; one rejection, with its reason, rejects it. The author's
            own decision on a normal change is refused (409)."""
            with unit_of_work() as session:
                ticket = tickets.get_ticket(session, ref, kind=kind, for_update=True)
                return approvals.decide(session=session, ticket=ticket, decision=data["decision"],
                                        comment=data["comment"], actor=actor(),
                                        expected_version=expected_version(), channel="api",
                                        override_reason=data.get("override_reason"))


def _add_known_error_route(bp: Blueprint, kind: str) -> None:
    """An incident's known errors: the workarounds of the problems behind it."""

    @bp.route("/<ref>/known-errors", methods=["GET"])
    @requires("tickets:read")
    @bp.response(200, KnownErrorSchema(many=True))
    def known_errors(ref: str) -> Any:
        """The known errors whose workaround applies to this incident: problems in state known_error linked to
        it, or with its configuration item and correlation key (newest first, at most five). For staff."""
        if not principal().can("tickets:read"):
            raise Forbidden("Known errors name problems: they are for staff.")
        with reading() as session:
            ticket = tickets.get_ticket(session, ref, kind=kind)
            return [asdict(known) for known in problems.known_errors_for(session, ticket)]
