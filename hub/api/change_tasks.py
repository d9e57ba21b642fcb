"""/api/v1: change tasks. A change rolled out to many targets has one task per target; agents
list, add and update them, and read the rollout's progress. Staff only: tasks name agents."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from hub.api.change_governance import staff_only
from hub.api.context import actor, principal, reading, unit_of_work
from hub.api.schemas.change_tasks import (
    AssignedArgs,
    AssignedTaskSchema,
    TaskListSchema,
    TaskPatchSchema,
    TaskSchema,
    TasksInSchema,
)
from hub.auth.web import requires
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import change_task_progress, change_tasks, tickets
from hub.tracker.org import id_for

bp = Blueprint("change_tasks", __name__, url_prefix="/api/v1",
               description="Change tasks: one change rolled out to many lines, machines or rooms.")


@bp.route("/changes/<ref>/tasks")
class Tasks(MethodView):
    @requires("tickets:read")
    @staff_only
    @bp.response(200, TaskListSchema)
    def get(self, ref: str) -> Any:
        """The change's tasks in rollout order, and its progress ("7 of 12 done, 1 failed")."""
        with reading() as session:
            ticket = tickets.get_ticket(session, ref, kind="change")
            return {"progress": change_task_progress.progress(session, ticket).as_dict(),
                    "tasks": [change_tasks.present_task(session, ticket.ref, task)
                              for task in change_tasks.list_tasks(session, ticket)]}

    @requires("tickets:write")
    @bp.arguments(TasksInSchema)
    @bp.response(201, TaskSchema(many=True))
    def post(self, data: dict[str, Any], ref: str) -> Any:
        """Add one task (``target``) or one per target (``targets``, or each item ``under`` one, of
        ``kind``); targets with a task already are left out. Answers the tasks made."""
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, kind="change", for_update=True)
            people = {name: data.get(name) for name in ("title", "assignee", "group")}
            if "target" in data:
                made = [change_tasks.create_task(session=session, ticket=ticket, target=data["target"],
                                                 actor=actor(), **people)]
            else:
                targets = (change_tasks.items_under(session, data["under"], data.get("kind")) if "under" in data
                           else change_tasks.resolve_targets(session, data["targets"]))
                made = change_tasks.create_tasks(session=session, ticket=ticket, targets=targets, actor=actor(),
                                                 **people)
            return [change_tasks.present_task(session, ticket.ref, task) for task in made]


@bp.route("/changes/<ref>/tasks/<int:task_id>")
class Task(MethodView):
    @requires("tickets:read")
    @staff_only
    @bp.response(200, TaskSchema)
    def get(self, ref: str, task_id: int) -> Any:
        with reading() as session:
            ticket = tickets.get_ticket(session, ref, kind="change")
            return change_tasks.present_task(session, ticket.ref, change_tasks.get_task(session, ticket, task_id))

    @requires("tickets:write")
    @bp.arguments(TaskPatchSchema)
    @bp.response(200, TaskSchema)
    def patch(self, data: dict[str, Any], ref: str, task_id: int) -> Any:
        """Change the task's state, assignee, group, title or outcome note (failed and skipped
        need the note); 409 once the change is in a final state."""
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, kind="change", for_update=True)
            task = change_tasks.get_task(session, ticket, task_id)
            change_tasks.update_task(session=session, ticket=ticket, task=task, values=data, actor=actor())
            return change_tasks.present_task(session, ticket.ref, task)


@bp.route("/change-tasks", methods=["GET"])
@requires("tickets:read")
@staff_only
@bp.arguments(AssignedArgs, location="query")
@bp.response(200, AssignedTaskSchema(many=True))
def assigned(args: dict[str, Any]) -> Any:
    """The tasks assigned to an agent (``me`` by default), across every change: open and in
    progress ones unless ``pending=false``."""
    with reading() as session:
        who = principal().name if args["assignee"] == "me" else args["assignee"]
        user_id = id_for(session, "user", who)
        if user_id is None:
            raise ValidationFailed({"assignee": [f"No agent {who!r}."]})
        return [{**change_tasks.present_task(session, row.ref, row.task), "change_title": row.change_title,
                 "change_status": row.change_status}
                for row in change_task_progress.tasks_assigned(session, user_id, pending_only=args["pending"])]
