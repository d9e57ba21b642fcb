"""Agents hear of the change tasks given to them, as they hear of the tickets given to them.

A rollout's tasks go to the technicians who do them: a task assigned to a person tells that
person ("assigned"), a task given to a group with nobody named yet tells the group's agents
("new_in_group"), by the channels each chose for those events. The agent-notify plugin
delivers them (its ``agent_event_raised`` hook); without it the tasks show on *My change
tasks* and nobody is told. Tasks given out together come in one notice per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import ChangeTask, Ticket
from hub.sdk.actors import Actor
from hub.tracker.inbox import people
from hub.tracker.org import name_for

AGENT_ROLES = ("agent", "admin")
#: Tasks a notice names before "and N more".
NAMED = 5


def tell_assigned(session: Session, ticket: Ticket, tasks: Sequence[ChangeTask], actor: Actor | None) -> None:
    """Tell the assignee of each task, or the group of a task with no assignee, that it is theirs."""
    if not tasks or "agent_event_raised" not in runtime_of(session).plugins.declared_hooks:
        return
    from hub.tracker.tickets import notify  # tickets imports the change tasks, which import this

    # Grouped by id first: twelve tasks for one person cost one name lookup, not twelve.
    person_ids: dict[int, list[ChangeTask]] = defaultdict(list)
    group_ids: dict[int, list[ChangeTask]] = defaultdict(list)
    for task in tasks:
        if task.assignee_id is not None:
            person_ids[task.assignee_id].append(task)
        elif task.group_id is not None:
            group_ids[task.group_id].append(task)
    by_person = {name_for(session, "user", ident) or "": mine for ident, mine in person_ids.items()}
    by_group = {name_for(session, "group", ident) or "": theirs for ident, theirs in group_ids.items()}
    who = f"{actor.name} assigned" if actor is not None and actor.type in ("user", "token") else "Assigned"
    for username, mine in sorted(by_person.items()):
        if username:
            notify(session, "agent_event_raised", ticket=ticket, event="assigned", actor=actor, usernames=[username],
                   text=f"{who} {_count(mine)} of {ticket.ref} to you: {_named(mine)}")
    for group, theirs in sorted(by_group.items()):
        members = [person.username for person in people(session, group=group, roles=AGENT_ROLES)]
        if group and members:
            notify(session, "agent_event_raised", ticket=ticket, event="new_in_group", actor=actor,
                   usernames=members, text=f"New in {group}: {_count(theirs)} of {ticket.ref}: {_named(theirs)}")


def _count(tasks: Sequence[ChangeTask]) -> str:
    return "a task" if len(tasks) == 1 else f"{len(tasks)} tasks"


def _named(tasks: Sequence[ChangeTask]) -> str:
    named = "; ".join(f"#{task.position} {task.target}" for task in tasks[:NAMED])
    more = f" and {len(tasks) - NAMED} more" if len(tasks) > NAMED else ""
    titles = {task.title for task in tasks}
    return named + more + (f" ({tasks[0].title})" if len(titles) == 1 else "")
