"""Who is in an assignment group: agents and admins, added and removed one at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hub.models import Group, User
from hub.models.org import group_members
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker.org_log import record_change

if TYPE_CHECKING:
    from hub.tracker.catalog import Checks

#: Roles that work tickets; requesters and connector accounts take no share of a queue.
MEMBER_ROLES = ("agent", "admin")


def _member_problem(user: User | None, username: str) -> str | None:
    if user is None:
        return f"No user {username!r}."
    if user.role not in MEMBER_ROLES:
        return f"{username} is a {user.role}; only agents and admins join groups."
    if not user.active:
        return f"{username} is deactivated."
    return None


def member_users(session: Session, usernames: list[str], checks: Checks) -> list[User]:
    """The users named, each an active agent or admin; a field error on ``members`` for each that is not."""
    users = []
    for username in dict.fromkeys(name.strip() for name in usernames if name.strip()):
        user = session.scalar(select(User).where(User.username == username))
        problem = _member_problem(user, username)
        if problem:
            checks.add("members", problem)
        elif user is not None:
            users.append(user)
    return users


def members_of(session: Session, group: Group) -> list[User]:
    query = (select(User).join(group_members, group_members.c.user_id == User.id)
             .where(group_members.c.group_id == group.id).order_by(User.username))
    return list(session.scalars(query))


def _is_member(session: Session, group: Group, user: User) -> bool:
    return session.scalar(select(group_members.c.user_id).where(
        group_members.c.group_id == group.id, group_members.c.user_id == user.id)) is not None


def add_member(*, session: Session, group: Group, username: str, actor: Actor | None = None) -> bool:
    """Put the agent in the group; False when they were in it already (nothing changes)."""
    username = (username or "").strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    problem = _member_problem(user, username) if username else "Required: the agent's username."
    if problem or user is None:
        raise ValidationFailed({"username": [problem or f"No user {username!r}."]})
    if _is_member(session, group, user):
        return False
    session.execute(insert(group_members).values(group_id=group.id, user_id=user.id))
    record_change(session, item_type="group", item_id=group.id, item_name=group.slug, action="member_added",
                  actor=actor, changes={"member": username})
    return True


def remove_member(*, session: Session, group: Group, username: str, actor: Actor | None = None) -> bool:
    """Take the user out of the group; False when they were not in it."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not _is_member(session, group, user):
        return False
    session.execute(delete(group_members).where(group_members.c.group_id == group.id,
                                                group_members.c.user_id == user.id))
    record_change(session, item_type="group", item_id=group.id, item_name=group.slug, action="member_removed",
                  actor=actor, changes={"member": user.username})
    return True
