"""Schemas of major incidents: promotion, children, attaching."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict
from hub.tracker.bulk import MAX_REFS


class MajorInSchema(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "Why (kept in the audit trail)."})


class ChildrenInSchema(Strict):
    refs = fields.List(fields.String(validate=validate.Length(min=1, max=24)), required=True,
                       validate=validate.Length(min=1, max=MAX_REFS), metadata={
                           "description": f"The incidents to attach (INC-...), at most {MAX_REFS}."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ChildSchema(ma.Schema):
    ref = fields.String()
    title = fields.String()
    status = fields.String()
    requester = fields.String(allow_none=True, metadata={"description": "The child's requester's name or address."})
    language = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "The channel the child came through (its updates go back "
                                     "there)."})


class MajorSchema(ma.Schema):
    ref = fields.String()
    major = fields.Boolean()
    major_at = fields.AwareDateTime(allow_none=True, metadata={"description": "When it was promoted."})
    children_count = fields.Integer()
    open_children = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    children = fields.List(fields.Nested(ChildSchema))
    attached = fields.List(fields.String(), metadata={"description": "On attaching: the incidents newly attached "
                                                      "(one already a child is not repeated)."})
