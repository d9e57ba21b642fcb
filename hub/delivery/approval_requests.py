"""Mail each approver of a change entering assessment a one-click link to decide on it.

The link opens a confirmation page (hub.ui.approval_links); nothing is decided by opening
it. Mail goes through the outbox like every other mail, so a mail server outage delays
the requests and loses none.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.delivery.notifications import send_mail
from hub.models import Ticket
from hub.tracker.approval_links import approvers_to_ask, issue_link, link_url
from hub.tracker.cab import approval_status


def request_approvals(session: Session, ticket: Ticket) -> int:
    """Issue a link to every board member who may decide and mail it; returns how many were mailed."""
    people = approvers_to_ask(session, ticket)
    if not people:
        return 0
    status = approval_status(session, ticket)
    when = ""
    if ticket.planned_start and ticket.planned_end:
        when = (f"Planned: {ticket.planned_start:%Y-%m-%d %H:%M} to {ticket.planned_end:%Y-%m-%d %H:%M} UTC\n")
    sent = 0
    for user in people:
        url = link_url(session, issue_link(session, ticket, user))
        body = (f"{ticket.ref} awaits the approval of {status.group}: {status.quorum} of its members must approve.\n\n"
                f"{ticket.title}\nType: {ticket.change_type}, risk: {ticket.risk}\n{when}\n"
                f"Approve or reject it (the link asks you to confirm, works once and expires):\n{url}\n")
        message = send_mail(session, to=[user.email or ""], subject=f"Approval needed: {ticket.ref} {ticket.title}",
                            body=body, ticket=ticket, key=f"approval-request:{ticket.id}:{user.id}:{status.cycle}")
        sent += message is not None
    return sent
