"""Change tasks on the change page (progress, the task table with inline updates, the form
adding one task per target) and each agent's own list of tasks across every change."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.context import actor, principal, reading, unit_of_work
from hub.models import CI_KINDS, TASK_STATES, ConfigurationItem, Ticket
from hub.tracker import change_task_progress, change_tasks, tickets
from hub.tracker.states import MACHINES
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors
from hub.ui.tickets import bp

#: The kinds a rollout usually goes over, first in the form's list.
ROLLOUT_KINDS = ("line", "machine", "room", *[kind for kind in CI_KINDS if kind not in ("line", "machine", "room")])


def task_context(session: Session, ticket: Ticket) -> dict[str, Any]:
    """What the change page's Tasks card shows; nothing for other kinds."""
    if ticket.kind != "change":
        return {"tasks": None}
    standing = change_task_progress.progress(session, ticket)
    parents = select(ConfigurationItem.parent_id).where(ConfigurationItem.parent_id.is_not(None)).distinct()
    return {
        "tasks": [change_tasks.present_task(session, ticket.ref, task)
                  for task in change_tasks.list_tasks(session, ticket)],
        "task_progress": standing, "task_states": TASK_STATES, "rollout_kinds": ROLLOUT_KINDS,
        "tasks_open": ticket.status not in MACHINES["change"].final_states,
        # Items with something under them: where "one task per line of ..." can start.
        "rollout_parents": list(session.execute(select(ConfigurationItem.key, ConfigurationItem.name)
                                                .where(ConfigurationItem.id.in_(parents))
                                                .order_by(ConfigurationItem.key).limit(500))),
    }


def _back(ref: str) -> Any:
    if request.form.get("back") == "mine":
        return redirect(url_for("ui_tickets.my_tasks"))
    return redirect(url_for("ui_tickets.ticket_page", ref=ref) + "#tasks")


@bp.post("/tickets/<ref>/tasks")
@login_required("tickets:write")
def add_tasks(ref: str) -> Any:
    """One task per target named in the text box (one a line), or per item under the one chosen."""
    form = request.form
    under = (form.get("under") or "").strip()
    names = [line for line in (form.get("targets") or "").splitlines() if line.strip()]
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, kind="change", for_update=True)
        targets = (change_tasks.items_under(session, under, (form.get("kind") or "").strip() or None) if under
                   else change_tasks.resolve_targets(session, names))
        made = change_tasks.create_tasks(session=session, ticket=ticket, targets=targets, actor=actor("ui"),
                                         title=(form.get("title") or "").strip() or None,
                                         assignee=(form.get("assignee") or "").strip() or None,
                                         group=(form.get("group") or "").strip() or None)
        left_out = len(targets) - len(made)
        done = (f"Added {len(made)} task{'s' if len(made) != 1 else ''} to {ticket.ref}."
                + (f" {left_out} target{'s' if left_out != 1 else ''} had a task already." if left_out else ""))
    if done:
        flash(done, "success")
    return _back(ref)


@bp.post("/tickets/<ref>/tasks/<int:task_id>")
@login_required("tickets:write")
def update_task(ref: str, task_id: int) -> Any:
    """A task's new state and outcome note, or its assignee ("Take it" assigns the signed-in agent)."""
    form = request.form
    values: dict[str, Any] = {name: form[name] for name in ("state", "outcome_note") if name in form}
    if form.get("take"):
        values["assignee"] = principal().name
    elif "assignee" in form:
        values["assignee"] = form["assignee"].strip() or None
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, kind="change", for_update=True)
        task = change_tasks.get_task(session, ticket, task_id)
        changes = change_tasks.update_task(session=session, ticket=ticket, task=task, values=values,
                                           actor=actor("ui"))
        standing = change_task_progress.progress(session, ticket)
        done = (f"Task {task.position} ({task.target}): {task.state.replace('_', ' ')}. {ticket.ref}: "
                f"{standing.summary}." if changes else "Nothing changed: the task was already so.")
    if done:
        flash(done, "success")
    return _back(ref)


@bp.get("/changes/tasks")
@login_required("tickets:read")
def my_tasks() -> Any:
    """The change tasks assigned to the signed-in agent that are still to do, change by change."""
    user = principal()
    with reading() as session:
        rows = change_task_progress.tasks_assigned(session, user.user_id) if user.user_id is not None else []
        tasks = [{**change_tasks.present_task(session, row.ref, row.task), "change_title": row.change_title,
                  "change_status": row.change_status} for row in rows]
    return render_template("ui/changes/my_tasks.html", tasks=tasks, task_states=TASK_STATES,
                           can_write=user.can("tickets:write"))
