"""Schemas of customers, their identities, tickets and organisations (/api/v1/customers)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict
from hub.models import IDENTITY_KINDS


class CustomerIdentitySchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(metadata={"description": "email, phone or account (system:name)."})
    value = fields.String()


class CustomerIdentityInSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(IDENTITY_KINDS))
    value = fields.String(required=True, validate=validate.Length(min=1, max=320))


class RiskReasonSchema(ma.Schema):
    rule = fields.String(metadata={"description": "complaints, low_score, reopened, vip_breach or no_answer."})
    text = fields.String()
    ref = fields.String(allow_none=True, metadata={"description": "The ticket the reason is about."})
    at = fields.String(metadata={"description": "When the reason was found (ISO 8601)."})


class CustomerRiskSchema(ma.Schema):
    raised_at = fields.DateTime()
    reasons = fields.List(fields.Nested(RiskReasonSchema))


class CustomerSchema(ma.Schema):
    id = fields.Integer()
    display_name = fields.String()
    vip = fields.Boolean()
    organisation = fields.String(allow_none=True)
    owner = fields.String(allow_none=True, metadata={"description": "The owning agent's username."})
    owner_group = fields.String(allow_none=True, metadata={"description": "The owning group's slug."})
    notes = fields.String()
    merged_into = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    identities = fields.List(fields.Nested(CustomerIdentitySchema))
    at_risk = fields.Nested(CustomerRiskSchema, allow_none=True, metadata={
        "description": "The open at-risk flag with its reasons, or null (docs/admin.md, Customers at risk)."})


class CustomerListSchema(ma.Schema):
    items = fields.List(fields.Nested(CustomerSchema))
    next_cursor = fields.Integer(allow_none=True, metadata={"description": "Pass as ?after= for the next page."})


class CustomerListArgs(Strict):
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Part of a name or identity."})
    organisation = fields.Integer(validate=validate.Range(min=1, max=2**62))
    vip = fields.Boolean()
    at_risk = fields.Boolean(metadata={"description": "Only customers flagged at risk (true) or only those not."})
    after = fields.Integer(validate=validate.Range(min=1, max=2**62))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CustomerPatchSchema(Strict):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    vip = fields.Boolean()
    organisation = fields.String(allow_none=True, validate=validate.Length(max=200))
    owner = fields.String(allow_none=True, validate=validate.Length(max=150))
    owner_group = fields.String(allow_none=True, validate=validate.Length(max=64))
    notes = fields.String(validate=validate.Length(max=10000))


class CustomerTicketSchema(ma.Schema):
    ref = fields.String()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    source = fields.String(metadata={"description": "The channel: api, ui or a connector's slug."})
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    sla = fields.String(metadata={"description": "breached, met, running or none."})
    csat_score = fields.Integer(allow_none=True)
    csat_comment = fields.String(allow_none=True)


class CustomerDetailSchema(CustomerSchema):
    open_count = fields.Integer()
    ticket_count = fields.Integer()
    last_contact_at = fields.DateTime(allow_none=True)
    csat_average = fields.Float(allow_none=True)
    tickets = fields.List(fields.Nested(CustomerTicketSchema), metadata={"description": "Newest first, up to 200."})
    satisfaction = fields.List(fields.Nested(CustomerTicketSchema), metadata={"description": "Rated, newest first."})


class CustomerTicketsArgs(Strict):
    before = fields.Integer(validate=validate.Range(min=1, max=2**62))


class CustomerMergeSchema(Strict):
    into = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62),
                          metadata={"description": "The customer that keeps both records' identities and tickets."})
    note = fields.String(validate=validate.Length(max=2000))


class CustomerNoteSchema(Strict):
    note = fields.String(validate=validate.Length(max=2000))


class CustomerClearRiskSchema(Strict):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "Why the customer is no longer at risk (kept in the history)."})


class CustomerEraseSchema(Strict):
    confirm = fields.Boolean(required=True, validate=validate.Equal(True),
                             metadata={"description": "Must be true: erasure cannot be undone."})
    note = fields.String(validate=validate.Length(max=2000))


class CustomerErasedSchema(ma.Schema):
    customer = fields.Integer()
    tickets = fields.Integer()
    comments = fields.Integer()
    attachments = fields.Integer()
    raw_events = fields.Integer()
    identities = fields.Integer()


class CustomerEventSchema(ma.Schema):
    at = fields.DateTime()
    action = fields.String()
    actor_name = fields.String()
    origin = fields.String()
    details = fields.Dict()
    note = fields.String(allow_none=True)


class CustomerPersonSchema(ma.Schema):
    id = fields.Integer()
    display_name = fields.String()
    vip = fields.Boolean()


class CustomerOrganisationSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    notes = fields.String()
    vip = fields.Boolean()
    people = fields.List(fields.Nested(CustomerPersonSchema), dump_default=list)


class CustomerOrganisationInSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(validate=validate.Length(max=10000))
    vip = fields.Boolean()


class CustomerOrganisationPatchSchema(CustomerOrganisationInSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
