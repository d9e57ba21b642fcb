"""Comments on tickets: public ones the requester sees, internal ones for agents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Comment, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import audit
from hub.tracker.info import comment_info
from hub.tracker.people import public_author_of
from hub.tracker.tickets import notify

VISIBILITIES = ("public", "internal")
BODY_MAX = 100_000
AGENT_ACTORS = frozenset({"user", "token"})


def add_comment(
    *, session: Session, ticket: Ticket, body: str, actor: Actor, visibility: str = "public",
    relayed_from: int | None = None,
) -> Comment:
    """Add a comment; a public answer by an agent counts as the first response, and on a major
    incident reaches each child's requester (``relayed_from``: the major's comment repeated here)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(body, str) or not body.strip():
        errors["body"] = ["A comment needs some text."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"At most {BODY_MAX} characters."]
    if visibility not in VISIBILITIES:
        errors["visibility"] = ["Must be public or internal."]
    if errors:
        raise ValidationFailed(errors)
    now = runtime_of(session).now()
    comment = Comment(
        ticket_id=ticket.id,
        body=body.strip(),
        visibility=visibility,
        author_type=actor.type,
        author_name=actor.name[:200],
        author_user_id=actor.user_id,
        origin_instance_id=actor.instance_id,
        relayed_from_id=relayed_from,
        created_at=now,
    )
    session.add(comment)
    ticket.updated_at = now
    if visibility == "public" and actor.type in AGENT_ACTORS and actor.role in ("admin", "agent"):
        ticket.first_response_at = ticket.first_response_at or now
    session.flush()
    audit.record(session, ticket, "commented", actor, {"comment_id": comment.id, "visibility": visibility})
    if visibility == "public" and runtime_of(session).plugins.has_impls("comment_added"):
        shown_as = public_author_of(session, comment, ticket.group_id)
    else:
        shown_as = ""
    notify(session, "comment_added", ticket=ticket, comment=comment_info(comment, shown_as), actor=actor)
    # Only an agent's update goes to every child: a synced system's comment may be a requester's own.
    if ticket.is_major and visibility == "public" and actor.type in AGENT_ACTORS:
        from hub.tracker.major_updates import relay_update

        relay_update(session, major=ticket, comment=comment, actor=actor)
    return comment


def list_comments(session: Session, ticket_id: int, *, public_only: bool = False) -> list[Comment]:
    query = select(Comment).where(Comment.ticket_id == ticket_id)
    if public_only:
        query = query.where(Comment.visibility == "public")
    return list(session.scalars(query.order_by(Comment.id)))
