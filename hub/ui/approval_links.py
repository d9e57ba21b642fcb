"""The one-click approval link a change's approvers get by mail: /approve/<token>.

Opening the link decides nothing (mail scanners and previews open links): it shows the
change, where its approval stands and what its window collides with, and asks to confirm.
The POST from that page decides, as the link's approver, and spends the link. A
rejection asks for the reason. The token is the credential, as on the status page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from hub.api.context import reading, unit_of_work
from hub.api.throttle import rate_limited
from hub.auth.web import public
from hub.models import Ticket
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.sdk.web import csrf_exempt
from hub.tracker.approval_links import LinkRefused, OpenedLink, open_link, use_link
from hub.tracker.cab import approval_status
from hub.tracker.change_calendar import check_schedule
from hub.tracker.org import name_for

bp = Blueprint("approval_links", __name__)
#: How each refusal is answered: a link that never was (404), one spent or expired (410), or
#: a change that no longer waits for it (409).
REFUSAL_STATUS = {"invalid": 404, "used": 410, "expired": 410, "closed": 409}


@bp.after_request
def keep_the_link_private(response: Any) -> Any:
    """The token decides on a change: no cache keeps it, no link passes it on."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _context(session: Any, opened: OpenedLink) -> dict[str, Any]:
    ticket = opened.ticket
    return {"ticket": ticket, "approver": opened.user.username, "standing": approval_status(session, ticket),
            "schedule": check_schedule(session, ticket), "ci": name_for(session, "ci", ticket.ci_id)}


@bp.get("/approve/<token>")
@public
def confirm(token: str) -> Any:
    """Show the change and ask the approver to confirm; a GET never decides."""
    with reading() as session:
        try:
            opened = open_link(session, token)
        except LinkRefused as refused:
            return render_template("ui/changes/approval_link.html", refused=refused), REFUSAL_STATUS[refused.reason]
        return render_template("ui/changes/approval_link.html", token=token, form={}, errors={},
                               **_context(session, opened))


@bp.post("/approve/<token>")
@public
@csrf_exempt  # the token in the path is the credential, and only its approver has it
@rate_limited("30 per 15 minutes", scope="approval-link")
def decide(token: str) -> Any:
    """Record the decision the approver confirmed, and spend the link."""
    form = {name: (request.form.get(name) or "").strip() for name in ("decision", "comment", "override_reason")}
    try:
        with unit_of_work() as session:
            approval = use_link(session, token, decision=form["decision"], comment=form["comment"],
                                override_reason=form["override_reason"] or None)
            ticket = session.get_one(Ticket, approval.ticket_id)
            return render_template("ui/changes/approval_link.html", done=True, decision=approval.decision,
                                   ticket=ticket, standing=approval_status(session, ticket))
    except LinkRefused as refused:
        return render_template("ui/changes/approval_link.html", refused=refused), REFUSAL_STATUS[refused.reason]
    except TrackerError as error:
        errors = error.errors if isinstance(error, ValidationFailed) else {"decision": [error.detail]}
        with reading() as session:
            try:
                opened = open_link(session, token)
            except LinkRefused as refused:
                return (render_template("ui/changes/approval_link.html", refused=refused),
                        REFUSAL_STATUS[refused.reason])
            return render_template("ui/changes/approval_link.html", token=token, form=form, errors=errors,
                                   **_context(session, opened)), error.status
