"""Schemas of change tasks: one task per target of a change, and the rollout's progress."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from hub.api.schemas.tickets import Strict
from hub.models import CI_KINDS, TASK_STATES
from hub.tracker.change_tasks import MAX_TARGETS

NAME = validate.Length(max=200)


class TaskSchema(ma.Schema):
    id = fields.Integer()
    change = fields.String(metadata={"description": "The change's ref (CHG-000042)."})
    position = fields.Integer(metadata={"description": "Its number in the rollout: 1, 2, ..."})
    target = fields.String(metadata={"description": "The item's key, or the target in words."})
    ci = fields.String(allow_none=True, metadata={"description": "The configuration item's key, when it is one."})
    title = fields.String()
    assignee = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    state = fields.String(metadata={"description": f"One of: {', '.join(TASK_STATES)}."})
    has_outcome = fields.Boolean(metadata={"description": "done, failed, skipped or cancelled."})
    outcome_note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ProgressSchema(ma.Schema):
    total = fields.Integer()
    finished = fields.Integer(metadata={"description": "Tasks with an outcome."})
    pending = fields.Integer(metadata={"description": "Tasks open or in progress: the change cannot close yet."})
    percent = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    summary = fields.String(metadata={"description": "\"7 of 12 done, 1 failed\"."})
    suggested_outcome = fields.String(allow_none=True, metadata={
        "description": "Once every task has an outcome: successful, partially successful or failed."})


class TaskListSchema(ma.Schema):
    progress = fields.Nested(ProgressSchema)
    tasks = fields.List(fields.Nested(TaskSchema))


class TasksInSchema(Strict):
    """One task (``target``) or one per target (``targets``, or every item ``under`` one)."""

    target = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "One target: a configuration item's key or name, or free text (\"Room 2.14\")."})
    targets = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                          validate=validate.Length(min=1, max=MAX_TARGETS),
                          metadata={"description": "One task per target (keys, names or free text)."})
    under = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "One task per item below this one (a site's key), at any depth."})
    kind = fields.String(validate=validate.OneOf(CI_KINDS), metadata={
        "description": "With under: only items of this kind (line, machine, room, ...)."})
    title = fields.String(validate=validate.Length(min=1, max=500),
                          metadata={"description": "Each task's title; the change's title when left out."})
    assignee = fields.String(allow_none=True, validate=NAME, metadata={"description": "An agent's username."})
    group = fields.String(allow_none=True, validate=NAME, metadata={"description": "A group's slug."})

    @validates_schema
    def one_way(self, data: dict[str, object], **_: object) -> None:
        given = [name for name in ("target", "targets", "under") if name in data]
        if len(given) != 1:
            raise ma.ValidationError("Give exactly one of target, targets or under.", "_schema")
        if "kind" in data and "under" not in data:
            raise ma.ValidationError("kind narrows under; give under too.", "kind")


class TaskPatchSchema(Strict):
    state = fields.String(validate=validate.OneOf(TASK_STATES))
    outcome_note = fields.String(allow_none=True, validate=validate.Length(max=10_000),
                                 metadata={"description": "Required when the state becomes failed or skipped."})
    title = fields.String(validate=validate.Length(min=1, max=500))
    assignee = fields.String(allow_none=True, validate=NAME)
    group = fields.String(allow_none=True, validate=NAME)


class AssignedArgs(Strict):
    assignee = fields.String(load_default="me", validate=validate.Length(min=1, max=200), metadata={
        "description": "A username, or me (the default)."})
    pending = fields.Boolean(load_default=True, metadata={"description": "Only open and in-progress tasks."})


class AssignedTaskSchema(TaskSchema):
    change_title = fields.String()
    change_status = fields.String()
