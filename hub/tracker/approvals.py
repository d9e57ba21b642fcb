"""Approval decisions on changes: recorded with the approver, and moving the change on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Approval, AuditEvent, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker import audit
from hub.tracker.tickets import check_version, transition_ticket

DECISIONS = ("approved", "rejected")
#: Change types whose author may approve them: a standard change is pre-approved by its
#: template, an emergency change is reviewed after the fact. A normal change needs someone
#: other than who asked for it (segregation of duties).
SELF_DECIDED = frozenset({"standard", "emergency"})


def decide(
    *,
    session: Session,
    ticket: Ticket,
    decision: str,
    actor: Actor,
    comment: str = "",
    expected_version: int | None = None,
) -> Approval:
    """Record an approver's decision on a change in assessment and move it accordingly."""
    if decision not in DECISIONS:
        raise ValidationFailed({"decision": ["Must be approved or rejected."]})
    if ticket.kind != "change":
        raise Conflict(f"{ticket.ref} is an incident; only changes are approved.")
    check_version(ticket, expected_version)
    if decision == "rejected" and not (comment or "").strip():
        raise ValidationFailed({"comment": ["Say why the change is rejected: its author needs the reason."]})
    if ticket.change_type not in SELF_DECIDED and _is_author(session, ticket, actor):
        raise Conflict(f"{actor.name} requested or created {ticket.ref}; someone else must decide on it "
                       "(no self-approval).")
    approval = Approval(
        ticket_id=ticket.id,
        approver_user_id=actor.user_id,
        approver_name=actor.name[:200],
        decision=decision,
        comment=comment or "",
        created_at=runtime_of(session).now(),
    )
    # The transition checks the state (assessment, or submitted for a standard change),
    # so an approval can never be recorded against a change that cannot take it.
    transition_ticket(session=session, ticket=ticket, to=decision, actor=actor, note=comment or None)
    session.add(approval)
    session.flush()
    audit.record(session, ticket, "approval", actor, {"decision": decision, "approval_id": approval.id}, comment)
    return approval


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
