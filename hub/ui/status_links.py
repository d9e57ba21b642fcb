"""The admin's button on a ticket page that revokes the requester's status links."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for

from hub.api.context import actor, unit_of_work
from hub.tracker.status_links import revoke_status_links
from hub.tracker.tickets import get_ticket
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors

bp = Blueprint("ui_status_links", __name__)


@bp.post("/tickets/<ref>/status-links/revoke")
@login_required("admin")
def revoke(ref: str) -> Any:
    done = None
    with flashing_errors(), unit_of_work() as session:
        ticket = get_ticket(session, ref)
        count = revoke_status_links(session=session, ticket=ticket, actor=actor("ui"))
        done = (f"Revoked the status link of {ticket.ref}; the requester's next mail carries a new one." if count
                else f"{ticket.ref} had no open status link.")
    if done:
        flash(done, "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=ref.upper()))
