"""GET/POST /api/v1/<plural>/<ref>/links and DELETE .../links/<id>: links between tickets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_smorest import Blueprint
from werkzeug.exceptions import Forbidden

from hub.api.context import actor, principal, reading, unit_of_work
from hub.api.schemas.links import LinkInSchema, LinkSchema
from hub.auth.web import requires
from hub.tracker import tickets
from hub.tracker.ticket_links import add_link, links_of, remove_link


def add_link_routes(bp: Blueprint, kind: str) -> None:
    """A ticket's links to other tickets (staff only: they name other tickets)."""

    @bp.route("/<ref>/links", methods=["GET"])
    @requires("tickets:read")
    @bp.response(200, LinkSchema(many=True))
    def list_links(ref: str) -> Any:
        """Every ticket linked to this one, read from this one: related, parent/child, caused by/caused,
        and a merge's duplicate of/duplicates. Links are the hub's own and are never synced."""
        if not principal().can("tickets:read"):
            raise Forbidden("Links name other tickets: they are for staff.")
        with reading() as session:
            return [asdict(view) for view in links_of(session, tickets.get_ticket(session, ref, kind=kind))]

    @bp.route("/<ref>/links", methods=["POST"])
    @requires("tickets:write")
    @bp.arguments(LinkInSchema)
    @bp.response(201, LinkSchema(many=True))
    def link(data: dict[str, Any], ref: str) -> Any:
        """Link this ticket to another; answers the ticket's links. 409 when the two are linked already
        (remove that link first); 422 for itself, an unknown ticket, a loop of parents, or a
        'caused by' that is not an incident caused by a change."""
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, kind=kind)
            add_link(session=session, ticket=ticket, kind=data["kind"], other_ref=data["ref"], actor=actor())
            return [asdict(view) for view in links_of(session, ticket)]

    @bp.route("/<ref>/links/<int:link_id>", methods=["DELETE"])
    @requires("tickets:write")
    @bp.response(204)
    def unlink(ref: str, link_id: int) -> Any:
        """Remove a link (both tickets' audit trails say so)."""
        with unit_of_work() as session:
            remove_link(session=session, ticket=tickets.get_ticket(session, ref, kind=kind), link_id=link_id,
                        actor=actor())
        return None
