"""Change tasks: a change rolled out to many targets (12 lines, every machine of a site, the
rooms of a floor) as one task per target, each with its own assignee, state and outcome.

Every write is an audit event on the change itself, so its timeline tells the rollout. The
change's own row is not touched: twelve fitters closing their tasks at once must not trip
over the change's version. How far the rollout is, and whether the change may close, is in
hub.tracker.change_task_progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import TASK_OUTCOMES, TASK_STATES, ChangeTask, ConfigurationItem, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker import audit
from hub.tracker.catalog import Checks
from hub.tracker.change_task_notices import tell_assigned
from hub.tracker.ci_items import subtree_ids
from hub.tracker.org import id_for, name_for
from hub.tracker.states import MACHINES

#: One request makes at most this many tasks: a plant's lines, not a typo's million.
MAX_TARGETS = 500
#: Outcomes that need a word of why.
NEEDS_NOTE = ("failed", "skipped")


def _refuse_final(ticket: Ticket) -> None:
    if ticket.kind != "change":
        raise NotFound(f"{ticket.ref} is not a change; only changes have tasks.")
    if ticket.status in MACHINES["change"].final_states:
        raise Conflict(f"{ticket.ref} is {ticket.status.replace('_', ' ')}: its tasks can no longer change.")


def list_tasks(session: Session, ticket: Ticket) -> list[ChangeTask]:
    return list(session.scalars(select(ChangeTask).where(ChangeTask.ticket_id == ticket.id)
                                .order_by(ChangeTask.position, ChangeTask.id)))


def get_task(session: Session, ticket: Ticket, task_id: int) -> ChangeTask:
    task = session.get(ChangeTask, task_id)
    if task is None or task.ticket_id != ticket.id:
        raise NotFound(f"{ticket.ref} has no task {task_id}.")
    return task


def _people(session: Session, checks: Checks, values: dict[str, Any]) -> dict[str, int | None]:
    """The assignee (a username) and group (a slug) named in ``values``, as ids."""
    found: dict[str, int | None] = {}
    for field_name, what, column in (("assignee", "user", "assignee_id"), ("group", "group", "group_id")):
        if field_name not in values:
            continue
        name = str(values[field_name] or "").strip()
        ident = id_for(session, what, name) if name else None
        if name and ident is None:
            checks.add(field_name, f"No {'agent' if what == 'user' else 'group'} {name!r}.")
        found[column] = ident
    return found


@dataclass(frozen=True)
class Target:
    """A task's target: a configuration item, or free text where no item matches."""

    text: str
    ci_id: int | None = None


def resolve_targets(session: Session, names: Iterable[Any]) -> list[Target]:
    """Each name as an item (by key, else by a unique name, either case) or as free text.

    Two names for the same item make one target, so a list that names a line twice does
    not roll the change out to it twice."""
    wanted = [" ".join(str(name or "").split()) for name in names]
    wanted = [name for name in wanted if name]
    lowered = {name.lower() for name in wanted}
    items = list(session.execute(select(ConfigurationItem.id, ConfigurationItem.key, ConfigurationItem.name).where(
        or_(func.lower(ConfigurationItem.key).in_(lowered), func.lower(ConfigurationItem.name).in_(lowered)))))
    by_key = {key.lower(): (ident, key) for ident, key, _ in items}
    by_name: dict[str, list[tuple[int, str]]] = {}
    for ident, key, name in items:
        by_name.setdefault(name.lower(), []).append((ident, key))
    targets: list[Target] = []
    seen: set[Any] = set()
    for name in wanted:
        match = by_key.get(name.lower())
        named = by_name.get(name.lower(), [])
        if match is None and len(named) == 1:
            match = named[0]
        target = Target(match[1], match[0]) if match else Target(name[:200])
        identity = target.ci_id if target.ci_id is not None else target.text.lower()
        if identity not in seen:
            seen.add(identity)
            targets.append(target)
    return targets


def items_under(session: Session, key: str, kind: str | None) -> list[Target]:
    """Every item below the item ``key`` (of ``kind`` when given: "all lines of plant A"), by key."""
    top = id_for(session, "ci", key.strip())
    if top is None:
        raise ValidationFailed({"under": [f"No configuration item {key!r}."]})
    ids = [ident for ident in subtree_ids(session, top) if ident != top]
    query = select(ConfigurationItem.id, ConfigurationItem.key).where(ConfigurationItem.id.in_(ids))
    if kind:
        query = query.where(ConfigurationItem.kind == kind)
    return [Target(key, ident) for ident, key in session.execute(query.order_by(ConfigurationItem.key))]


def create_tasks(*, session: Session, ticket: Ticket, targets: Sequence[Target], actor: Actor,
                 title: str | None = None, assignee: str | None = None, group: str | None = None) -> list[ChangeTask]:
    """One task per target, after the change's last; a target with a task already is left out
    (a form sent twice, a source repeating itself). Returns the tasks made."""
    _refuse_final(ticket)
    checks = Checks()
    task_title = checks.name(title or ticket.title, "title", 500)
    people = _people(session, checks, {"assignee": assignee, "group": group})
    if not targets:
        checks.add("targets", "Name at least one target: an item's key or name, or a place in words.")
    elif len(targets) > MAX_TARGETS:
        checks.add("targets", f"At most {MAX_TARGETS} targets at once.")
    checks.done()
    existing = list_tasks(session, ticket)
    taken = {task.ci_id for task in existing if task.ci_id is not None} | {
        task.target.lower() for task in existing if task.ci_id is None}
    position = max((task.position for task in existing), default=0)
    now = runtime_of(session).now()
    made: list[ChangeTask] = []
    for target in targets:
        if (target.ci_id if target.ci_id is not None else target.text.lower()) in taken:
            continue
        position += 1
        made.append(ChangeTask(ticket_id=ticket.id, position=position, ci_id=target.ci_id, target=target.text,
                               title=task_title, state="open", created_at=now, updated_at=now, **people))
    session.add_all(made)
    session.flush()
    if made:
        audit.record(session, ticket, "tasks_added", actor, {
            "tasks": len(made), "targets": ", ".join(task.target for task in made[:20])
            + (f" and {len(made) - 20} more" if len(made) > 20 else "")})
        tell_assigned(session, ticket, made, actor)
    return made


def create_task(*, session: Session, ticket: Ticket, target: str, actor: Actor, title: str | None = None,
                assignee: str | None = None, group: str | None = None) -> ChangeTask:
    """One task on one target (an item's key or name, or free text); 409 if it has one already."""
    made = create_tasks(session=session, ticket=ticket, targets=resolve_targets(session, [target]), actor=actor,
                        title=title, assignee=assignee, group=group)
    if not made:
        raise Conflict(f"{ticket.ref} has a task for {target!r} already.", field="target")
    return made[0]


def add_draft_targets(session: Session, ticket: Ticket, targets: Sequence[Any], actor: Actor) -> list[ChangeTask]:
    """A new change from a source naming its targets (TicketDraft.targets): one task per target."""
    if ticket.kind != "change" or not targets:
        return []
    named = [str(target) for target in targets if isinstance(target, str | int | float) and str(target).strip()]
    return create_tasks(session=session, ticket=ticket, targets=resolve_targets(session, named), actor=actor)


def update_task(*, session: Session, ticket: Ticket, task: ChangeTask, values: dict[str, Any],
                actor: Actor) -> dict[str, tuple[Any, Any]]:
    """Change a task's ``state``, ``assignee``, ``group``, ``outcome_note`` or ``title``; failed
    and skipped need a note saying why. Returns what changed."""
    _refuse_final(ticket)
    checks = Checks()
    state = values.get("state", task.state)
    if state not in TASK_STATES:
        checks.add("state", f"One of: {', '.join(TASK_STATES)}.")
    note = values.get("outcome_note", task.outcome_note)
    note = str(note).strip()[:10_000] or None if note is not None else None
    if state in NEEDS_NOTE and state != task.state and not note:
        checks.add("outcome_note", f"Say why the task {'failed' if state == 'failed' else 'was skipped'}.")
    title = checks.name(values["title"], "title", 500) if "title" in values else task.title
    people = _people(session, checks, values)
    checks.done()
    changes: dict[str, tuple[Any, Any]] = {}
    for column, new in (("state", state), ("outcome_note", note), ("title", title)):
        if getattr(task, column) != new:
            changes[column] = (getattr(task, column), new)
            setattr(task, column, new)
    for column, ident in people.items():
        if getattr(task, column) != ident:
            what = "user" if column == "assignee_id" else "group"
            changes[column.removesuffix("_id")] = (name_for(session, what, getattr(task, column)),
                                                   name_for(session, what, ident))
            setattr(task, column, ident)
    if not changes:
        return changes
    _stamp(session, task, changes)
    session.flush()
    audit.record(session, ticket, "task_updated", actor, {"task": f"#{task.position} {task.target}", **changes})
    if ("assignee" in changes and task.assignee_id is not None) or ("group" in changes and task.assignee_id is None):
        tell_assigned(session, ticket, [task], actor)
    return changes


def _stamp(session: Session, task: ChangeTask, changes: dict[str, tuple[Any, Any]]) -> None:
    now = runtime_of(session).now()
    task.updated_at = now
    if "state" not in changes:
        return
    if task.state == "in_progress" and task.started_at is None:
        task.started_at = now
    task.finished_at = now if task.state in TASK_OUTCOMES else None


def cancel_open_tasks(session: Session, ticket: Ticket, reason: str, actor: Actor) -> int:
    """Give every task without an outcome the outcome ``cancelled`` (the change failed, was
    backed out or cancelled: the rest of the rollout will not happen). Returns how many."""
    now = runtime_of(session).now()
    pending = [task for task in list_tasks(session, ticket) if task.state not in TASK_OUTCOMES]
    for task in pending:
        task.state, task.outcome_note = "cancelled", task.outcome_note or reason
        task.updated_at = task.finished_at = now
    if pending:
        session.flush()
        audit.record(session, ticket, "tasks_cancelled", actor, {"tasks": len(pending), "reason": reason})
    return len(pending)


def present_task(session: Session, ref: str, task: ChangeTask) -> dict[str, Any]:
    """The task as the API and pages show it; ``ref`` is its change's."""
    return {"id": task.id, "change": ref, "position": task.position, "target": task.target,
            "ci": name_for(session, "ci", task.ci_id), "title": task.title,
            "assignee": name_for(session, "user", task.assignee_id),
            "group": name_for(session, "group", task.group_id), "state": task.state,
            "has_outcome": task.state in TASK_OUTCOMES, "outcome_note": task.outcome_note,
            "created_at": task.created_at, "updated_at": task.updated_at, "started_at": task.started_at,
            "finished_at": task.finished_at}
