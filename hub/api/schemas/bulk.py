"""Schemas of bulk actions and merges on incidents and changes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict
from hub.tracker.bulk import ACTIONS, MAX_REFS, MAX_TAG

Ref = fields.String(validate=validate.Length(min=1, max=24), metadata={"description": "A reference: INC-000042."})


def bulk_in_schema(kind: str) -> type[ma.Schema]:
    """The request of ``POST /api/v1/<plural>/bulk``: merging is offered for incidents only."""
    actions = ACTIONS if kind == "incident" else tuple(action for action in ACTIONS if action != "merge")

    class BulkIn(Strict):
        refs = fields.List(Ref, required=True, validate=validate.Length(min=1, max=MAX_REFS), metadata={
            "description": f"The tickets, 1 to {MAX_REFS}; each is reported on its own."})
        action = fields.String(required=True, validate=validate.OneOf(actions), metadata={
            "description": "assign (assignee), move (department, group or both), tag (tag)"
            + (", merge (into: the main incident; each ref is closed as its duplicate)." if "merge" in actions
               else ".")})
        assignee = fields.String(allow_none=True, metadata={"description": "assign: a username; null unassigns."})
        department = fields.String(allow_none=True, metadata={"description": "move: a department slug."})
        group = fields.String(allow_none=True, metadata={"description": "move: an assignment group slug."})
        tag = fields.String(validate=validate.Length(min=1, max=MAX_TAG), metadata={"description": "tag: added once."})
        if "merge" in actions:
            into = fields.String(validate=validate.Length(min=1, max=24), metadata={
                "description": "merge: the main incident."})

    BulkIn.__name__ = f"{kind.capitalize()}BulkIn"
    return BulkIn


class BulkResultSchema(ma.Schema):
    ref = fields.String()
    outcome = fields.String(metadata={"description": "changed, unchanged (it already was so) or refused."})
    detail = fields.String(metadata={"description": "What was done, or why not."})
    status = fields.Integer(metadata={"description": "A refusal's HTTP status (404, 409, 422); 200 otherwise."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "A refusal's field errors, when it has any."})


class BulkOutSchema(ma.Schema):
    action = fields.String()
    changed = fields.Integer(metadata={"description": "How many tickets changed."})
    unchanged = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BulkResultSchema), metadata={"description": "One per ref, in the order sent "
                                                                                    "(a ref named twice once)."})


class MergeInSchema(Strict):
    into = fields.String(required=True, validate=validate.Length(min=1, max=24),
                         metadata={"description": "The main incident this one duplicates."})
