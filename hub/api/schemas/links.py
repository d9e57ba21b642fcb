"""Schemas of the links between tickets."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict
from hub.tracker.ticket_links import AS_SEEN


class LinkInSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(AS_SEEN)), metadata={
        "description": "How this ticket relates to the other: related, parent_of, child_of, caused_by (this "
        "incident was caused by the other, a change) or caused (this change caused the other, an incident)."})
    ref = fields.String(required=True, validate=validate.Length(min=1, max=24), metadata={
        "description": "The other ticket: INC-000042, CHG-000007 or PRB-000003."})


class LinkSchema(ma.Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null for a merge's link (undone only by merging)."})
    kind = fields.String(metadata={"description": "As this ticket reads it: related, parent_of, child_of, caused_by, "
                                   "caused, problem_of, symptom_of, duplicate_of or duplicates."})
    words = fields.String(metadata={"description": "The same in words: 'child of', 'caused by', ..."})
    ref = fields.String()
    title = fields.String()
    status = fields.String()
    removable = fields.Boolean()
