"""The names requesters see: an agent's display name or their team's, never a login.

A comment keeps its author's login (agents and the audit trail need to know who); what
leaves the hub for a requester (the status page, notification mails) is named here, once,
by ``HUB_REQUESTER_SEES``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Group, User

#: Authors the requester is told apart from the team: themselves.
REQUESTER_TYPES = frozenset({"requester"})


def team_name(session: Session, group_id: int | None) -> str:
    """The ticket's group by its name, else the hub's HUB_TEAM_NAME."""
    if group_id is not None:
        name = session.scalar(select(Group.name).where(Group.id == group_id))
        if name:
            return str(name)
    return str(runtime_of(session).settings.get("TEAM_NAME") or "The support team")


def public_author(session: Session, *, author_type: str, author_user_id: int | None, author_name: str,
                  group_id: int | None) -> str:
    """What a requester sees as the author of a public reply on a ticket of ``group_id``.

    The requester's own words keep their name; an agent is shown by display name (or the
    team, per HUB_REQUESTER_SEES); tokens, plugins and other systems speak as the team,
    since their names are logins, account ids or a connector's.
    """
    if author_type in REQUESTER_TYPES:
        return author_name
    if author_type == "user" and author_user_id is not None \
            and runtime_of(session).settings.get("REQUESTER_SEES", "agent") == "agent":
        row = session.execute(select(User.display_name, User.username).where(User.id == author_user_id)).first()
        if row is not None and row.display_name.strip() and row.display_name.strip() != row.username:
            return str(row.display_name.strip())
    return team_name(session, group_id)


def public_author_of(session: Session, comment: Any, group_id: int | None) -> str:
    """``public_author`` for a Comment row or CommentInfo."""
    return public_author(session, author_type=comment.author_type, author_user_id=comment.author_user_id,
                         author_name=comment.author_name, group_id=group_id)
