"""/api/v1/incidents/<ref>/major and .../children: major incidents and the incidents under them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from hub.api.context import actor, principal, reading, unit_of_work
from hub.api.schemas.majors import ChildrenInSchema, MajorInSchema, MajorSchema
from hub.auth.web import requires
from hub.models import Ticket
from hub.tracker import majors, tickets


def present_major(session: Session, ticket: Ticket, attached: list[str] | None = None) -> dict[str, Any]:
    children = majors.children_of(session, ticket)
    return {
        "ref": ticket.ref, "major": ticket.is_major, "major_at": ticket.major_at,
        "children_count": children.count, "open_children": children.open_count, "by_status": children.by_status,
        "children": [{"ref": child.ref, "title": child.title, "status": child.status,
                      "requester": child.requester_name or child.requester_email, "language": child.language,
                      "source": child.source} for child in children.tickets],
        "attached": attached or [],
    }


def add_major_routes(bp: Blueprint) -> None:
    """Promote, demote, and the children of a major incident (staff only: they name other tickets)."""

    @bp.route("/<ref>/major", methods=["GET"])
    @requires("tickets:read")
    @bp.response(200, MajorSchema)
    def get_major(ref: str) -> Any:
        """Whether the incident is major, and its children: a count per status and the list."""
        if not principal().can("tickets:read"):
            raise Forbidden("A major incident's children are other people's tickets: they are for staff.")
        with reading() as session:
            return present_major(session, tickets.get_ticket(session, ref, kind="incident"))

    @bp.route("/<ref>/major", methods=["POST"])
    @requires("tickets:write")
    @bp.arguments(MajorInSchema)
    @bp.response(200, MajorSchema)
    def promote(data: dict[str, Any], ref: str) -> Any:
        """Promote the incident to major (again: nothing changes). 422 for a change or a problem; 409 for an
        incident that is no longer open or is the child of another major incident (detach it first)."""
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, for_update=True)
            majors.promote(session=session, ticket=ticket, actor=actor(), note=data.get("note"))
            return present_major(session, ticket)

    @bp.route("/<ref>/major", methods=["DELETE"])
    @requires("tickets:write")
    @bp.response(204)
    def demote(ref: str) -> Any:
        """Demote a major incident; its children are detached (each audit trail says so). 409 when it is
        not major."""
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, kind="incident", for_update=True)
            majors.demote(session=session, ticket=ticket, actor=actor())
        return None

    @bp.route("/<ref>/children", methods=["POST"])
    @requires("tickets:write")
    @bp.arguments(ChildrenInSchema)
    @bp.response(200, MajorSchema)
    def attach(data: dict[str, Any], ref: str) -> Any:
        """Attach incidents as children; all or nothing. 422 names each refused: not an incident, the major
        itself, a major incident (majors are never nested), a child of another major. 409 when this
        incident is not major or no longer open."""
        with unit_of_work() as session:
            major = tickets.get_ticket(session, ref, kind="incident", for_update=True)
            attached = majors.attach(session=session, major=major, refs=data["refs"], actor=actor(),
                                     note=data.get("note"))
            return present_major(session, major, attached)

    @bp.route("/<ref>/children/<child>", methods=["DELETE"])
    @requires("tickets:write")
    @bp.response(204)
    def detach(ref: str, child: str) -> Any:
        """Detach one child (404 when it is not this major incident's child)."""
        with unit_of_work() as session:
            major = tickets.get_ticket(session, ref, kind="incident", for_update=True)
            majors.detach(session=session, major=major, child_ref=child, actor=actor())
        return None
