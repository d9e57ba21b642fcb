"""Schemas of departments, groups, categories and configuration items."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict
from hub.models import CI_KINDS, CRITICALITIES

Slug = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Lower-case letters, digits and dashes, at most 64.")
Name = validate.Length(min=1, max=200)
MAX_ID = 2**63 - 1


class DepartmentSchema(Strict):
    slug = fields.String(required=True, validate=Slug)
    name = fields.String(required=True, validate=Name)
    email = fields.Email(allow_none=True, metadata={"description": "Where escalations go when no group is named."})


class DepartmentPatchSchema(Strict):
    slug = fields.String(validate=Slug, metadata={"description": "Renaming keeps every ticket: they store ids."})
    name = fields.String(validate=Name)
    email = fields.Email(allow_none=True)


class GroupSchema(Strict):
    slug = fields.String(required=True, validate=Slug)
    name = fields.String(required=True, validate=Name)
    email = fields.Email(allow_none=True)
    department = fields.String(allow_none=True)
    members = fields.List(fields.String(), load_default=list,
                          metadata={"description": "Usernames of agents or admins."})


class GroupPatchSchema(Strict):
    slug = fields.String(validate=Slug)
    name = fields.String(validate=Name)
    email = fields.Email(allow_none=True)
    department = fields.String(allow_none=True, metadata={"description": "Department slug; null for none."})


class CategorySchema(Strict):
    slug = fields.String(required=True, validate=Slug)
    name = fields.String(required=True, validate=Name)
    department = fields.String(allow_none=True)


class CategoryPatchSchema(Strict):
    slug = fields.String(validate=Slug)
    name = fields.String(validate=Name)
    department = fields.String(allow_none=True, metadata={"description": "Department slug; null for none."})


_CI_FIELDS = {
    "parent": "Key of the parent item (a machine's line, a line's site); null for a top item.",
    "owner": "Username of the person who answers for the item.",
    "department": "Department slug.",
}


class ConfigurationItemSchema(Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": "How sources name it, e.g. plant-a/line-3/filler-2."})
    name = fields.String(required=True, validate=Name)
    kind = fields.String(load_default="service", validate=validate.OneOf(CI_KINDS))
    parent = fields.String(allow_none=True, metadata={"description": _CI_FIELDS["parent"]})
    department = fields.String(allow_none=True, metadata={"description": _CI_FIELDS["department"]})
    description = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    owner = fields.String(allow_none=True, metadata={"description": _CI_FIELDS["owner"]})
    criticality = fields.String(load_default="medium", validate=validate.OneOf(CRITICALITIES))


class ConfigurationItemPatchSchema(Strict):
    key = fields.String(validate=validate.Length(min=1, max=200))
    name = fields.String(validate=Name)
    kind = fields.String(validate=validate.OneOf(CI_KINDS))
    parent = fields.String(allow_none=True, metadata={"description": _CI_FIELDS["parent"] + " No loops."})
    department = fields.String(allow_none=True, metadata={"description": _CI_FIELDS["department"]})
    description = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    owner = fields.String(allow_none=True, metadata={"description": _CI_FIELDS["owner"]})
    criticality = fields.String(validate=validate.OneOf(CRITICALITIES))


class MergeSchema(Strict):
    into = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "Slug (departments, groups) or key (items) of the one that stays."})


class CategoryMergeSchema(Strict):
    into = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID),
                          metadata={"description": "Id of the category that stays."})


class OrgOut(ma.Schema):
    id = fields.Integer()
    slug = fields.String()
    key = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    kind = fields.String()
    department = fields.String(allow_none=True)
    parent = fields.String(allow_none=True)
    members = fields.List(fields.String())
    description = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    criticality = fields.String()


class MergeResultSchema(ma.Schema):
    merged = fields.String(metadata={"description": "The slug or key that is gone."})
    into = fields.Nested(OrgOut)
    moved = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "What moved: tickets, children, members, groups, ..."})


class HistoryArgs(Strict):
    below = fields.Boolean(load_default=False, metadata={"description": "Include the items below this one."})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class HistoryTicketSchema(ma.Schema):
    ref = fields.String()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    priority = fields.Integer()
    created_at = fields.DateTime()
    ci = fields.String()
    correlation_key = fields.String(allow_none=True)
    occurrence_count = fields.Integer()


class RecurringSchema(ma.Schema):
    key = fields.String(metadata={"description": "The correlation key the repeats share."})
    tickets = fields.Integer()
    occurrences = fields.Integer()
    open_tickets = fields.Integer()
    last_seen_at = fields.DateTime(allow_none=True)


class OrgChangeSchema(ma.Schema):
    at = fields.DateTime()
    action = fields.String()
    actor = fields.String()
    origin = fields.String()
    changes = fields.Dict()


class HistorySchema(ma.Schema):
    item = fields.Nested(OrgOut)
    path = fields.List(fields.String(), metadata={"description": "Keys from the top item down to this one."})
    below = fields.Boolean()
    items_covered = fields.Integer()
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    tickets = fields.List(fields.Nested(HistoryTicketSchema), metadata={"description": "Newest first."})
    recurring = fields.List(fields.Nested(RecurringSchema), metadata={"description": "Most occurrences first."})
    log = fields.List(fields.Nested(OrgChangeSchema), metadata={"description": "Admin changes, newest first."})
