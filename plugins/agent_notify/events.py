"""Who hears of what: the people each event concerns, and the sentence they read.

Each function answers ``[(event, usernames, text)]`` for one change; ``plugins.agent_notify
.channels.deliver`` then leaves out whoever caused it and delivers by each person's choice.
When one change concerns a person twice (mentioned in a reply to their ticket), they hear
of it once, by the first event in ``PRECEDENCE``. A notice may name nobody: other plugins
may still add people to it (``agent_notification_recipients``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.sdk import hub_services, tracker
from hub.sdk.actors import Actor
from hub.sdk.values import CommentInfo, TicketInfo

Notice = tuple[str, list[str], str]
"""(event, usernames, text)."""

PRECEDENCE = ("mentioned", "approval_needed", "assigned", "sla_breached", "sla_warning", "requester_replied",
              "new_in_group")
AGENT_ROLES = ("agent", "admin")
#: ``@name`` not inside a mail address (``jane@example.com`` mentions nobody); a name may hold
#: dots and dashes, but a sentence's full stop after it is not part of it.
MENTION = re.compile(r"(?<![\w.@+-])@([A-Za-z0-9][\w.-]{0,149})")
TITLE_SHOWN = 120
EXCERPT = 160


def _title(ticket: TicketInfo) -> str:
    return ticket.title if len(ticket.title) <= TITLE_SHOWN else ticket.title[:TITLE_SHOWN - 1] + "…"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT - 1] + "…"


def _by_person(actor: Actor | None) -> bool:
    return actor is not None and actor.type in ("user", "token") and actor.user_id is not None


def group_members(session: Session, ticket: TicketInfo) -> list[str]:
    """The agents of the ticket's group; with no group, those of its department's only group
    (a department with one group sends it all its work, routed or not)."""
    group = ticket.group
    if group is None and ticket.department is not None:
        mine = [found.slug for found in hub_services.groups(session) if found.department == ticket.department]
        group = mine[0] if len(mine) == 1 else None
    if group is None:
        return []
    return [person.username for person in hub_services.people(session, group=group, roles=AGENT_ROLES)]


def owners(session: Session, ticket: TicketInfo) -> list[str]:
    """Who answers for the ticket now: its assignee, else its group."""
    return [ticket.assignee] if ticket.assignee else group_members(session, ticket)


def created(session: Session, ticket: TicketInfo) -> list[Notice]:
    found: list[Notice] = []
    if ticket.assignee:
        found.append(("assigned", [ticket.assignee], f"{ticket.ref} was assigned to you: {_title(ticket)}"))
    if ticket.status == "draft":
        return found  # a change being written: its group hears of it once it is submitted
    where = ticket.group or ticket.department or "the hub"
    found.append(("new_in_group", group_members(session, ticket), f"New in {where}: {ticket.ref} {_title(ticket)}"))
    return found


def updated(session: Session, ticket: TicketInfo, changes: dict[str, Any], actor: Actor | None) -> list[Notice]:
    found: list[Notice] = []
    if "assignee" in changes and ticket.assignee:
        who = f"{actor.name} assigned" if actor is not None and _by_person(actor) else "Assigned"
        found.append(("assigned", [ticket.assignee], f"{who} {ticket.ref} to you: {_title(ticket)}"))
    if "group" in changes and ticket.group:
        found.append(("new_in_group", group_members(session, ticket),
                      f"Moved to {ticket.group}: {ticket.ref} {_title(ticket)}"))
    return found


def from_requester(ticket: TicketInfo, comment: CommentInfo, actor: Actor | None) -> bool:
    if comment.author_type == "requester" or (actor is not None and actor.type == "requester"):
        return True
    email = (ticket.requester_email or "").lower()
    return bool(email) and actor is not None and (actor.id or "").lower() == email


def mentioned(text: str) -> list[str]:
    """The usernames ``@named`` in a text, in order, once each."""
    return list(dict.fromkeys(match.rstrip(".-") for match in MENTION.findall(text or "")))


def commented(session: Session, ticket: TicketInfo, comment: CommentInfo, actor: Actor | None) -> list[Notice]:
    found: list[Notice] = []
    if from_requester(ticket, comment, actor):
        who = ticket.requester_name or comment.author_name or "The requester"
        found.append(("requester_replied", owners(session, ticket),
                      f"{who} replied on {ticket.ref}: {_excerpt(comment.body)}"))
    elif actor is not None and (_by_person(actor) or actor.type == "plugin"):
        # Only people who work tickets mention: a requester's mail naming @someone must
        # not page the team (and would let anyone outside do it).
        names = mentioned(comment.body)
        if names:
            who = actor.name
            found.append(("mentioned", names, f"{who} mentioned you on {ticket.ref}: {_excerpt(comment.body)}"))
    return found


def approvers(session: Session, ticket: TicketInfo) -> list[str]:
    """Who decides on a change: its board's members who may still decide (issue 22's approval
    boards; the hub leaves out its author); with no board, its group's agents but not whoever
    asked for it; with no group either, the admins."""
    board = tracker.change_approvers(session, ticket.ref)
    if board is not None:
        return board
    if ticket.group:
        people = hub_services.people(session, group=ticket.group, roles=AGENT_ROLES)
    else:
        people = hub_services.people(session, roles=("admin",))
    asker = (ticket.requester_email or "").lower()
    return [person.username for person in people if not asker or (person.email or "").lower() != asker]


#: A change's moves that someone must hear of: submitted (its group, as a new ticket; a
#: draft told nobody), in assessment (its approvers).
CHANGE_MOVES = ("submitted", "assessment")


def status_moved(session: Session, ticket: TicketInfo, old: str, new: str) -> list[Notice]:
    if ticket.kind != "change":
        return []
    if new == "submitted" and old == "draft":
        where = ticket.group or ticket.department or "the hub"
        return [("new_in_group", group_members(session, ticket),
                 f"Submitted to {where}: {ticket.ref} {_title(ticket)}")]
    if new == "assessment":
        return [("approval_needed", approvers(session, ticket), f"{ticket.ref} awaits approval: {_title(ticket)}")]
    return []


def service_level(session: Session, ticket: TicketInfo, target: str, due_at: datetime, *, breached: bool) -> Notice:
    due = due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if breached:
        text = f"{ticket.ref} missed its {target} target (due {due}): {_title(ticket)}"
    else:
        text = f"{ticket.ref}: the {target} target is due {due}: {_title(ticket)}"
    return ("sla_breached" if breached else "sla_warning", owners(session, ticket), text)


def by_precedence(notices: list[Notice]) -> list[Notice]:
    """The notices, the event that matters most first: a person concerned twice by one change
    hears of it by the first (``plugins.agent_notify.channels.deliver``)."""
    rank = {event: position for position, event in enumerate(PRECEDENCE)}
    return sorted(notices, key=lambda notice: rank.get(notice[0], len(rank)))
