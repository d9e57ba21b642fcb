"""/api/v1/admin/tickets/<ref>/status-links/revoke: stop a requester's status link. Admins only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from hub.api.context import actor, unit_of_work
from hub.auth.web import requires
from hub.tracker.status_links import link_expires_at, revoke_status_links
from hub.tracker.tickets import get_ticket

bp = Blueprint("admin_status_links", __name__, url_prefix="/api/v1/admin",
               description="Requesters' status links (admins).")


class RevokedSchema(ma.Schema):
    ticket = ma.fields.String(metadata={"description": "The ticket's reference."})
    revoked = ma.fields.Integer(metadata={"description": "Links that stopped working now (0: none was open)."})
    expires_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "When a link sent from now on stops opening (HUB_STATUS_LINK_DAYS after close)."})


@bp.route("/tickets/<ref>/status-links/revoke", methods=["POST"])
@requires("admin")
@bp.response(200, RevokedSchema)
def revoke(ref: str) -> Any:
    """Revoke every status link of the ticket (a mail that reached the wrong person).

    The next mail to the requester carries a new link; the revocation is in the ticket's
    history.
    """
    with unit_of_work() as session:
        ticket = get_ticket(session, ref)
        count = revoke_status_links(session=session, ticket=ticket, actor=actor("api"))
        return {"ticket": ticket.ref, "revoked": count, "expires_at": link_expires_at(session, ticket)}
