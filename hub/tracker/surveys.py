"""What the requester says at the end: is it solved, and how satisfied are they.

Both come from the status page. Confirming closes the ticket; saying it is not solved
reopens it. The satisfaction answer (1-5 and a comment) is taken once per ticket: a
ticket reopened and resolved again is not asked twice, so a score is never overwritten.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.i18n import N_
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker import audit
from hub.tracker.states import RESOLVED_STATES
from hub.tracker.tickets import notify, transition_ticket

MAX_COMMENT = 2000


def requester_actor(ticket: Ticket) -> Actor:
    """The requester, acting through the status page."""
    return Actor(type="requester", name=ticket.requester_name or ticket.requester_email or "Requester",
                 origin="status-page", id=ticket.requester_email)


def can_rate(ticket: Ticket) -> bool:
    # A merged duplicate was closed by the merge, not solved: the survey belongs to its main ticket.
    return ticket.status in RESOLVED_STATES and ticket.csat_score is None and ticket.duplicate_of_id is None


def confirm_resolution(*, session: Session, ticket: Ticket, solved: bool, note: str | None = None) -> Ticket:
    """The requester's answer to "is it solved?": close it, or reopen it with their note."""
    if ticket.status != "resolved":
        raise Conflict(N_("Only a resolved ticket can be confirmed or reopened."))
    actor = requester_actor(ticket)
    if solved:
        return transition_ticket(session=session, ticket=ticket, to="closed", actor=actor,
                                 note="The requester confirmed it is solved.")
    return transition_ticket(session=session, ticket=ticket, to="in_progress", actor=actor,
                             note=(note or "").strip()[:MAX_COMMENT] or "The requester says it is not solved.")


def record_survey(*, session: Session, ticket: Ticket, score: int, comment: str = "") -> Ticket:
    """Store the requester's satisfaction (1-5) and tell plugins (``survey_answered``), once per ticket."""
    errors: dict[str, list[str]] = {}
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        errors["score"] = [N_("Choose 1 to 5.")]
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [f"At most {MAX_COMMENT} characters."]
    if errors:
        raise ValidationFailed(errors, N_("Some fields are not valid."))
    if ticket.status not in RESOLVED_STATES:
        raise Conflict(N_("The survey opens once the ticket is resolved."))
    if ticket.duplicate_of_id is not None:
        raise Conflict(N_("This report was merged into another ticket; there is nothing to rate here."))
    if ticket.csat_score is not None:
        raise Conflict(N_("This ticket has been rated already. Thank you!"))
    ticket.csat_score, ticket.csat_comment = score, comment or None
    audit.record(session, ticket, "rated", requester_actor(ticket),
                 changes={"csat_score": [None, score]}, note=comment or None)
    notify(session, "survey_answered", ticket=ticket, score=score, comment=comment)
    return ticket


def add_survey_comment(*, session: Session, ticket: Ticket, comment: str) -> Ticket:
    """The comment after a one-click rating (hub.tracker.survey_links): once, to a rated ticket."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed({"comment": [N_("Write a comment, or close this page.")]})
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed({"comment": [f"At most {MAX_COMMENT} characters."]})
    if ticket.csat_score is None:
        raise Conflict(N_("Rate the ticket first."))
    if ticket.csat_comment:
        raise Conflict(N_("Your comment was recorded already. Thank you!"))
    ticket.csat_comment = comment
    audit.record(session, ticket, "rated", requester_actor(ticket), changes={"csat_comment": [None, "given"]},
                 note=comment)
    return ticket
