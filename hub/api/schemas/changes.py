"""Schemas of change governance: CAB policies, standard-change templates, freeze windows,
the change calendar and a change's approval standing and schedule check."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.moments import ClientDateTime
from hub.api.schemas.tickets import RequesterSchema, Strict
from hub.tracker.cab import CHANGE_TYPES, RISKS

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Lower-case letters, digits and dashes, at most 64.")


class PolicyInSchema(Strict):
    change_type = fields.String(required=True, validate=validate.OneOf(CHANGE_TYPES))
    risk = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(RISKS),
                         metadata={"description": "null: any risk without a policy of its own."})
    group = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "The board: a group's slug; its members decide."})
    quorum = fields.Integer(load_default=1, validate=validate.Range(1, 50),
                            metadata={"description": "How many members must approve."})


class PolicyPatchSchema(Strict):
    change_type = fields.String(validate=validate.OneOf(CHANGE_TYPES))
    risk = fields.String(allow_none=True, validate=validate.OneOf(RISKS))
    group = fields.String(validate=validate.Length(min=1, max=64))
    quorum = fields.Integer(validate=validate.Range(1, 50))


class PolicySchema(ma.Schema):
    id = fields.Integer()
    change_type = fields.String()
    risk = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    quorum = fields.Integer()
    members = fields.Integer(metadata={"description": "How many people the group has."})


class TemplateInSchema(Strict):
    slug = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description = fields.String(load_default="", validate=validate.Length(max=100_000))
    risk = fields.String(load_default="low", validate=validate.OneOf(RISKS))
    plan = fields.String(load_default="", validate=validate.Length(max=100_000),
                         metadata={"description": "The implementation plan each change from it follows."})
    active = fields.Boolean(load_default=True)


class TemplatePatchSchema(Strict):
    slug = fields.String(validate=SLUG)
    title = fields.String(validate=validate.Length(min=1, max=500))
    description = fields.String(validate=validate.Length(max=100_000))
    risk = fields.String(validate=validate.OneOf(RISKS))
    plan = fields.String(validate=validate.Length(max=100_000))
    active = fields.Boolean(metadata={"description": "false retires it: no new changes from it."})


class TemplateSchema(ma.Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    description = fields.String()
    risk = fields.String()
    plan = fields.String()
    active = fields.Boolean()


class FromTemplateSchema(Strict):
    template = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "The template's slug."})
    ci = fields.String(allow_none=True, validate=validate.Length(max=200))
    planned_start = ClientDateTime(allow_none=True)
    planned_end = ClientDateTime(allow_none=True)
    department = fields.String(allow_none=True, validate=validate.Length(max=64))
    group = fields.String(allow_none=True, validate=validate.Length(max=64))
    assignee = fields.String(allow_none=True, validate=validate.Length(max=150))
    requester = fields.Nested(RequesterSchema)
    description = fields.String(validate=validate.Length(max=100_000),
                                metadata={"description": "Added below the template's description."})


class FreezeInSchema(Strict):
    site = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200),
                         metadata={"description": "The site's configuration item key; null: every site."})
    starts_at = ClientDateTime(required=True)
    ends_at = ClientDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class FreezeSchema(ma.Schema):
    id = fields.Integer()
    site = fields.String(allow_none=True)
    site_name = fields.String(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    reason = fields.String()


class CalendarArgs(Strict):
    from_ = ClientDateTime(required=True, data_key="from")
    to = ClientDateTime(required=True)
    site = fields.String(validate=validate.Length(max=200), metadata={"description": "A site's item key."})
    line = fields.String(validate=validate.Length(max=200), metadata={"description": "A line's item key."})


class CalendarEntrySchema(ma.Schema):
    ref = fields.String()
    title = fields.String()
    status = fields.String()
    type = fields.String(attribute="change_type", allow_none=True)
    risk = fields.String(allow_none=True)
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    ci = fields.String(allow_none=True)
    ci_name = fields.String(allow_none=True)
    site = fields.String(allow_none=True)
    line = fields.String(allow_none=True)


class CalendarSchema(ma.Schema):
    changes = fields.List(fields.Nested(CalendarEntrySchema))
    freezes = fields.List(fields.Nested(FreezeSchema))


class ScheduleCheckSchema(ma.Schema):
    clear = fields.Boolean(metadata={"description": "No collision and no freeze."})
    collisions = fields.List(fields.Nested(CalendarEntrySchema), metadata={
        "description": "Changes at overlapping times on the same item, its parent or its child."})
    freezes = fields.List(fields.Nested(FreezeSchema))


class DeciderSchema(ma.Schema):
    name = fields.String()
    reason = fields.String()


class ApprovalStatusSchema(ma.Schema):
    group = fields.String(allow_none=True, metadata={"description": "The deciding board; null: any agent."})
    quorum = fields.Integer()
    approved_by = fields.List(fields.String())
    rejected_by = fields.List(fields.Nested(DeciderSchema))
    members = fields.List(fields.String())
    needed = fields.Integer(metadata={"description": "How many more approvals the quorum needs."})
    state = fields.String(metadata={"description": "pending, approved or rejected (this round)."})
    after_the_fact = fields.Boolean()
    cycle = fields.Integer()
