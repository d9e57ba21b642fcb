"""Approval decisions on changes: each recorded with its approver, counted towards the change
advisory board's quorum, and moving the change on once the quorum is met or anyone rejects.

Who may decide: with a policy for the change's type and risk (hub.tracker.cab), the
members of its group; without one, any agent. Never the person who asked for a normal
change, nor anyone twice in one round. A rejection needs a reason and decides at once
(a board's single "no" stops a change; its author reworks it and a new round begins).
An emergency change may be implemented first: approvals given after that are recorded
as after the fact and move it nowhere.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Approval, AuditEvent, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker import audit
from hub.tracker.cab import IMPLEMENTED, approval_status, current_cycle, member_ids, policy_for
from hub.tracker.change_calendar import enforce_schedule
from hub.tracker.tickets import check_version, transition_ticket

DECISIONS = ("approved", "rejected")
CHANNELS = ("ui", "api", "mail")
#: Change types whose author may approve them when no board is named: a standard change is
#: pre-approved by its template, an emergency change is reviewed after the fact. A normal
#: change needs someone other than who asked for it (segregation of duties).
SELF_DECIDED = frozenset({"standard", "emergency"})


def decide(
    *,
    session: Session,
    ticket: Ticket,
    decision: str,
    actor: Actor,
    comment: str = "",
    expected_version: int | None = None,
    channel: str = "api",
    override_reason: str | None = None,
) -> Approval:
    """Record an approver's decision on a change and move it once the round is decided.

    ``override_reason`` lets the approval that meets the quorum go ahead although the
    change collides with another or falls in a freeze (audited; hub.tracker.change_calendar).
    """
    if decision not in DECISIONS:
        raise ValidationFailed({"decision": ["Must be approved or rejected."]})
    if ticket.kind != "change":
        raise Conflict(f"{ticket.ref} is {'an' if ticket.kind[:1] in 'aeiou' else 'a'} {ticket.kind}; "
                       "only changes are approved.")
    check_version(ticket, expected_version)
    if decision == "rejected" and not (comment or "").strip():
        raise ValidationFailed({"comment": ["Say why the change is rejected: its author needs the reason."]})
    after_the_fact = ticket.change_type == "emergency" and ticket.status in IMPLEMENTED
    if not after_the_fact and ticket.status != "assessment" and not _standard_submitted(ticket):
        raise Conflict(f"{ticket.ref} is {ticket.status.replace('_', ' ')}; changes are decided on in assessment.")
    _check_approver(session, ticket, actor)
    cycle = current_cycle(session, ticket)
    approval = Approval(
        ticket_id=ticket.id, approver_user_id=actor.user_id, approver_name=actor.name[:200], decision=decision,
        comment=(comment or "").strip(), cycle=cycle, after_the_fact=after_the_fact,
        channel=channel if channel in CHANNELS else "api", created_at=runtime_of(session).now(),
    )
    session.add(approval)
    session.flush()
    status = approval_status(session, ticket)
    moved = None if after_the_fact else _outcome(decision, status.state)
    if moved == "approved":
        enforce_schedule(session, ticket, actor=actor, step="approval", override_reason=override_reason)
    if moved:
        # The move first, then the decision that made it: the history reads as before quorums
        # (assessment -> approved, "Change approved").
        transition_ticket(session=session, ticket=ticket, to=moved, actor=actor, note=comment or None)
    audit.record(session, ticket, "approval", actor,
                 {"decision": decision, "approval_id": approval.id, "approved": len(status.approved_by),
                  "quorum": status.quorum, "after_the_fact": after_the_fact, "channel": approval.channel},
                 _note(decision, comment, status.needed, after_the_fact))
    return approval


def _standard_submitted(ticket: Ticket) -> bool:
    return ticket.change_type == "standard" and ticket.status == "submitted"


def _outcome(decision: str, state: str) -> str | None:
    """The state the change moves to after this decision, or None while the quorum is not met."""
    if decision == "rejected":
        return "rejected"
    return "approved" if state == "approved" else None


def _note(decision: str, comment: str, needed: int, after_the_fact: bool) -> str:
    parts = [comment.strip()] if comment and comment.strip() else []
    if after_the_fact:
        parts.append("Given after the fact: the emergency change was implemented first.")
    elif decision == "approved" and needed:
        parts.append(f"{needed} more approval{'s' if needed != 1 else ''} needed.")
    return " ".join(parts)


def _check_approver(session: Session, ticket: Ticket, actor: Actor) -> None:
    """Refuse (409) who may not decide: outside the board, the change's author, or twice in a round."""
    policy = policy_for(session, ticket.change_type, ticket.risk)
    if policy is not None:
        if actor.user_id is None or actor.user_id not in member_ids(session, policy.group_id):
            status = approval_status(session, ticket)
            raise Conflict(f"{actor.name} is not a member of {status.group}, which decides on {ticket.change_type} "
                           f"changes of {ticket.risk} risk.")
        if _is_author(session, ticket, actor):
            raise Conflict(f"{actor.name} requested or created {ticket.ref}; someone else must decide on it "
                           "(no self-approval).")
    elif ticket.change_type not in SELF_DECIDED and _is_author(session, ticket, actor):
        raise Conflict(f"{actor.name} requested or created {ticket.ref}; someone else must decide on it "
                       "(no self-approval).")
    if actor.user_id is not None:
        earlier = session.scalar(select(Approval.decision).where(
            Approval.ticket_id == ticket.id, Approval.cycle == current_cycle(session, ticket),
            Approval.approver_user_id == actor.user_id).limit(1))
        if earlier is not None:
            raise Conflict(f"{actor.name} has already {earlier} {ticket.ref} in this round.")


def _is_author(session: Session, ticket: Ticket, actor: Actor) -> bool:
    """Whether the deciding person asked for the change: its requester, or who opened it."""
    if actor.user_id is not None and ticket.requester_user_id == actor.user_id:
        return True
    if actor.id is None:
        return False
    opened_by = session.execute(select(AuditEvent.actor_type, AuditEvent.actor_id).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.action == "created").limit(1)).first()
    return opened_by is not None and (opened_by.actor_type, opened_by.actor_id) == (actor.type, actor.id)


def list_approvals(session: Session, ticket_id: int) -> list[Approval]:
    return list(session.scalars(select(Approval).where(Approval.ticket_id == ticket_id).order_by(Approval.id)))
