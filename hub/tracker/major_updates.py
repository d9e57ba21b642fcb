"""What a major incident does to its children: tells their requesters, resolves them, and takes
new incidents of the same outage in.

Each of these goes through the service a single ticket uses, on the child itself, so the
child's own channel does the telling: a public update becomes a public comment on each child
(the notify plugin mails its requester in the child's language, the outbox carries it to the
RT, Jira or ServiceNow ticket it came from), and the major's resolution is each child's
transition to resolved, with the mails and syncs any resolution has.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Comment, Ticket
from hub.sdk.actors import Actor
from hub.tracker import audit
from hub.tracker.majors import attach_one
from hub.tracker.states import INCIDENT

#: The states a major incident hands down, and the way each open child gets there.
CASCADE = {"resolved": ("resolved",), "closed": ("resolved", "closed")}


def relay_update(session: Session, *, major: Ticket, comment: Comment, actor: Actor) -> int:
    """Repeat the major's public ``comment`` on each child that has not had it yet; answers how
    many children got it. Safe to run again: a child holds one copy of an update at most
    (``uq_comments_relayed``), so a retry tells nobody twice."""
    from hub.tracker.comments import add_comment

    if comment.visibility != "public" or not major.is_major:
        return 0
    told = set(session.scalars(select(Comment.ticket_id).where(Comment.relayed_from_id == comment.id)))
    children = session.scalars(select(Ticket).where(Ticket.major_incident_id == major.id).order_by(Ticket.id))
    relayed = 0
    for child in children:
        if child.id in told or child.status not in (*INCIDENT.open_states, "resolved"):
            continue  # closed and cancelled children are done: their requesters are not written to again
        add_comment(session=session, ticket=child, body=comment.body, actor=actor, visibility="public",
                    relayed_from=comment.id)
        relayed += 1
    if relayed:
        audit.record(session, major, "major_update_relayed", actor, {"comment_id": comment.id, "children": relayed})
    return relayed


def relayed_count(session: Session, comment_id: int) -> int:
    """How many children hold a copy of the major's update ``comment_id``."""
    return int(session.scalar(select(func.count()).select_from(Comment).where(Comment.relayed_from_id == comment_id))
               or 0)


def resolve_children(session: Session, *, major: Ticket, to: str, actor: Actor) -> list[str]:
    """Move each child of a major incident that moved to ``to`` (resolved or closed) there too,
    with the major's resolution; answers the children moved."""
    from hub.tracker.tickets import transition_ticket

    steps = CASCADE.get(to)
    if not steps or not major.is_major:
        return []
    note = f"With major incident {major.ref}."
    moved: list[str] = []
    children = list(session.scalars(select(Ticket).where(Ticket.major_incident_id == major.id).order_by(Ticket.id)))
    for child in children:
        if child.status in INCIDENT.open_states:
            path = steps
        elif child.status == "resolved" and to == "closed":
            path = ("closed",)
        else:
            continue  # already where the major is, or cancelled
        for step in path:
            transition_ticket(session=session, ticket=child, to=step, actor=actor, note=note,
                              resolution=major.resolution if step == "resolved" else None)
        moved.append(child.ref)
    return moved


def attach_by_rule(session: Session, *, ticket: Ticket, actor: Actor) -> Ticket | None:
    """Attach a new incident to the open major incident with its configuration item or
    correlation key, promoted at most HUB_MAJOR_ATTACH_MINUTES ago; answers that major."""
    if ticket.kind != "incident" or (ticket.ci_id is None and ticket.correlation_key is None):
        return None
    runtime = runtime_of(session)
    minutes = int(runtime.settings.get("MAJOR_ATTACH_MINUTES", 240) or 0)
    if minutes <= 0:
        return None
    same = [Ticket.ci_id == ticket.ci_id] if ticket.ci_id is not None else []
    if ticket.correlation_key is not None:
        same.append(Ticket.correlation_key == ticket.correlation_key)
    major = session.scalar(
        select(Ticket).where(Ticket.is_major.is_(True), Ticket.major_at >= runtime.now() - timedelta(minutes=minutes),
                             Ticket.status.in_(INCIDENT.open_states), Ticket.id != ticket.id, or_(*same))
        .order_by(Ticket.major_at.desc()).limit(1))
    if major is None:
        return None
    why = "configuration item" if ticket.ci_id is not None and major.ci_id == ticket.ci_id else "correlation key"
    attach_one(session, major, ticket, actor, f"Attached by rule: the same {why} as major incident {major.ref}, "
               f"within {minutes} minutes of its promotion.")
    return major
