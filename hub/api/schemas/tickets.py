"""Schemas of incidents, changes, problems and what hangs off them, for input and output."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from hub.api.schemas.moments import ClientDateTime
from hub.tracker.priority import LEVELS
from hub.tracker.queries import LIST_SORTS, MAX_LIMIT
from hub.tracker.sla_clock import SLA_FILTERS
from hub.tracker.tickets import CHANGE_TYPES, RISKS

Level = validate.OneOf(LEVELS)
MAX_ID = 2**63 - 1  # the largest id the databases store


class Strict(ma.Schema):
    """Unknown fields are an error: a typo in a field name must not be silently dropped."""

    class Meta:
        unknown = ma.RAISE


class RequesterSchema(Strict):
    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))


class TicketWriteFields(Strict):
    title = fields.String(validate=validate.Length(min=1, max=500), metadata={"description": "One line."})
    description = fields.String(validate=validate.Length(max=100_000))
    impact = fields.String(validate=Level, metadata={"description": "low, medium or high"})
    urgency = fields.String(validate=Level, metadata={"description": "low, medium or high"})
    priority = fields.Integer(allow_none=True, validate=validate.Range(1, 5),
                              metadata={"description": "Overrides impact x urgency when set."})
    department = fields.String(allow_none=True, metadata={"description": "Department slug."})
    category = fields.String(allow_none=True, metadata={"description": "Category slug."})
    ci = fields.String(allow_none=True, metadata={"description": "Configuration item key."})
    group = fields.String(allow_none=True, metadata={"description": "Assignment group slug."})
    assignee = fields.String(allow_none=True, metadata={"description": "Username."})
    requester = fields.Nested(RequesterSchema)
    language = fields.String(allow_none=True, validate=validate.Length(max=16), metadata={
        "description": "The requester's language (es, de-CH, ...): mails and the status page speak it. One of "
                       "HUB_LANGUAGES (a regional tag counts as its language); null: the hub's default."})
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=50))
    custom_fields = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), metadata={
        "description": "Custom field values by name (GET /api/v1/custom-fields lists the fields). A merge: the names "
                       "sent are set, null clears one, the rest stay. A bad value answers 422 under "
                       "custom_fields.<name>; a name that is no defined field is kept as plain data."})


class IncidentCreateSchema(TicketWriteFields):
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ChangeWriteFields(TicketWriteFields):
    type = fields.String(validate=validate.OneOf(CHANGE_TYPES),
                         metadata={"description": "standard, normal or emergency"})
    risk = fields.String(validate=validate.OneOf(RISKS))
    planned_start = ClientDateTime(allow_none=True)
    planned_end = ClientDateTime(allow_none=True)


class ChangeCreateSchema(ChangeWriteFields):
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))


class IncidentPatchSchema(TicketWriteFields):
    resolution = fields.String(allow_none=True, validate=validate.Length(max=100_000))


class ChangePatchSchema(ChangeWriteFields):
    resolution = fields.String(allow_none=True, validate=validate.Length(max=100_000))


class ProblemWriteFields(TicketWriteFields):
    root_cause = fields.String(allow_none=True, validate=validate.Length(max=100_000), metadata={
        "description": "Why its incidents happen; required before the problem is resolved."})
    workaround = fields.String(allow_none=True, validate=validate.Length(max=100_000), metadata={
        "description": "How to restore service meanwhile; required to make it a known error, and then shown on "
                       "each incident it is linked to or that has its configuration item and incident key."})
    incident_key = fields.String(allow_none=True, validate=validate.Length(max=255), metadata={
        "description": "The correlation key its incidents share (an alarm's site/line/machine/code)."})


class ProblemCreateSchema(ProblemWriteFields):
    title = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "One line; required unless opened from incidents (then taken from them)."})
    incidents = fields.List(fields.String(validate=validate.Length(min=1, max=24)),
                            validate=validate.Length(min=1, max=200), metadata={
        "description": "Incidents to open it from (INC-000042, up to 200): each is linked to it (problem_of), and "
                       "the item, key and department they share are its own unless given."})


class ProblemPatchSchema(ProblemWriteFields):
    resolution = fields.String(allow_none=True, validate=validate.Length(max=100_000))


class KnownErrorSchema(ma.Schema):
    ref = fields.String(metadata={"description": "The problem: PRB-000003."})
    title = fields.String()
    workaround = fields.String()
    root_cause = fields.String(allow_none=True)
    matched_by = fields.String(metadata={"description": "link (the incident is linked to the problem) or "
                                                        "ci_and_key (it has the problem's item and key)."})


class SlaTargetSchema(ma.Schema):
    due_at = fields.AwareDateTime(allow_none=True)
    state = fields.String(metadata={"description": "running, paused, met or breached (a breach stays once met)."})
    seconds_left = fields.Integer(allow_none=True, metadata={
        "description": "Until the due time, negative once overdue; frozen while paused; null once met."})
    paused = fields.Boolean()
    breached = fields.Boolean()
    breached_at = fields.AwareDateTime(allow_none=True, metadata={"description": "The due time that was missed."})
    met = fields.Boolean()
    met_at = fields.AwareDateTime(allow_none=True)
    due_soon = fields.Boolean(metadata={"description": "Running and due within the hour."})


class SlaSchema(ma.Schema):
    response = fields.Nested(SlaTargetSchema, allow_none=True)
    resolution = fields.Nested(SlaTargetSchema, allow_none=True)


class TicketSchema(ma.Schema):
    ref = fields.String()
    kind = fields.String()
    title = fields.String()
    description = fields.String()
    status = fields.String()
    allowed_transitions = fields.List(fields.String())
    impact = fields.String()
    urgency = fields.String()
    priority = fields.Integer()
    department = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    ci = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    requester = fields.Nested(RequesterSchema)
    language = fields.String(allow_none=True, metadata={"description": "The requester's language; null: the "
                                                                       "hub's default."})
    source = fields.String()
    occurrence_count = fields.Integer()
    last_seen_at = fields.AwareDateTime(allow_none=True)
    flapping = fields.Boolean()
    tags = fields.List(fields.String())
    custom_fields = fields.Dict()
    type = fields.String(allow_none=True, metadata={"description": "Changes only."})
    risk = fields.String(allow_none=True)
    planned_start = fields.AwareDateTime(allow_none=True)
    planned_end = fields.AwareDateTime(allow_none=True)
    resolution = fields.String(allow_none=True)
    root_cause = fields.String(allow_none=True, metadata={"description": "Problems only."})
    workaround = fields.String(allow_none=True, metadata={"description": "Problems only."})
    incident_key = fields.String(allow_none=True, metadata={"description": "Problems only: the correlation key "
                                                                          "its incidents share."})
    duplicate_of = fields.String(allow_none=True, metadata={
        "description": "The main incident this one was merged into as a duplicate (it is closed); null otherwise."})
    major = fields.Boolean(metadata={"description": "Incidents only: a major incident, whose public updates and "
                                     "resolution reach its children."})
    major_incident = fields.String(allow_none=True, metadata={
        "description": "Incidents only: the major incident this one is a child of; null otherwise."})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    first_response_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    response_due_at = fields.AwareDateTime(allow_none=True)
    resolve_due_at = fields.AwareDateTime(allow_none=True)
    sla = fields.Nested(SlaSchema, allow_none=True, metadata={
        "description": "The SLA clocks (null when no policy applies), computed at the time of the answer."})
    csat_score = fields.Integer(allow_none=True)
    version = fields.Integer()
    url = fields.String()


class TicketPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.String(allow_none=True)


class TicketListArgs(Strict):
    status = DelimitedList(fields.String())
    priority = DelimitedList(fields.Integer(validate=validate.Range(1, 5)))
    department = fields.String()
    category = fields.String()
    assignee = fields.String()
    group = fields.String()
    source = fields.String()
    ci = fields.String()
    requester_email = fields.String()
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Free text."})
    updated_since = ClientDateTime()
    open = fields.Boolean(metadata={"description": "Only tickets whose work is not finished."})
    sla = fields.String(validate=validate.OneOf(SLA_FILTERS), metadata={
        "description": "breached: a target missed; due_soon: a running target due within the hour."})
    custom = fields.List(fields.String(validate=validate.Length(max=600)), validate=validate.Length(max=20), metadata={
        "description": "A custom field's value, as name:value (repeat for more): lot:L-77, vip:gold; a number or "
                       "date field also takes a range, batch:10..20 or found_on:2026-11-01..2026-11-30."})
    sort = fields.String(load_default="-updated_at", validate=validate.OneOf(LIST_SORTS), metadata={
        "description": "relevance (with q): best match first, title hits before description hits."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String()


OVERRIDE = {"description": "Why the change goes ahead although it collides with another change on its item "
                           "(or its parent or child) or falls in a freeze window; audited. Without it such an "
                           "approval or scheduling is refused with 409."}


class TransitionSchema(Strict):
    to = fields.String(required=True, metadata={"description": "The target state."})
    note = fields.String(validate=validate.Length(max=10_000))
    resolution = fields.String(validate=validate.Length(max=100_000))
    override_reason = fields.String(validate=validate.Length(max=2000), metadata=OVERRIDE)


class CommentInSchema(Strict):
    body = fields.String(required=True, validate=validate.Length(min=1, max=100_000))
    visibility = fields.String(load_default="public", validate=validate.OneOf(("public", "internal")))


class CommentSchema(ma.Schema):
    id = fields.Integer()
    body = fields.String()
    visibility = fields.String()
    author = fields.String(attribute="author_name")
    author_type = fields.String()
    created_at = fields.AwareDateTime()


class ApprovalInSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    comment = fields.String(load_default="", validate=validate.Length(max=10_000),
                            metadata={"description": "Required to reject: the author needs the reason."})
    override_reason = fields.String(validate=validate.Length(max=2000), metadata=OVERRIDE)


class ApprovalSchema(ma.Schema):
    id = fields.Integer()
    approver = fields.String(attribute="approver_name")
    decision = fields.String()
    comment = fields.String()
    cycle = fields.Integer(metadata={"description": "The approval round (a reworked change starts a new one)."})
    after_the_fact = fields.Boolean(metadata={"description": "Given after an emergency change was implemented."})
    channel = fields.String(metadata={"description": "ui, api or mail (the one-click link)."})
    created_at = fields.AwareDateTime()


class AuditEventSchema(ma.Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    action = fields.String()
    actor = fields.Function(lambda event: {"type": event.actor_type, "id": event.actor_id, "name": event.actor_name})
    origin = fields.String()
    changes = fields.Dict()
    note = fields.String(allow_none=True)


class AuditArgs(Strict):
    after = fields.Integer(validate=validate.Range(0, MAX_ID), metadata={"description": "Only events after this id."})
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


class AttachmentSchema(ma.Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    inline = fields.Boolean()
    visibility = fields.String()
    comment_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class AttachmentUploadSchema(Strict):
    visibility = fields.String(load_default="public", validate=validate.OneOf(("public", "internal")))
