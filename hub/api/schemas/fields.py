"""Schemas of custom field definitions (/api/v1/custom-fields)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict
from hub.models import FIELD_TYPES

Name = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$",
                       error="Lower-case letters, digits and _, starting with a letter, at most 40.")
class FieldAttributes(Strict):
    label = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "What forms and lists call it: 'Cabin number'."})
    help = fields.String(validate=validate.Length(max=500), metadata={"description": "A hint under the field."})
    type = fields.String(validate=validate.OneOf(FIELD_TYPES), metadata={
        "description": "text, number, choice (one of options), date (YYYY-MM-DD) or ci (a configuration item's "
                       "key). Changes only while no ticket has a value."})
    options = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=100),
                          metadata={"description": "A choice field's values, in the order forms offer them."})
    required = fields.Boolean(metadata={"description": "People opening a ticket must fill it in (a page, the API, "
                                                       "a web form); sources that cannot (alarms) are not held to it."})
    department = fields.String(allow_none=True, metadata={
        "description": "Slug of the department whose tickets have it; null for every department."})
    kind = fields.String(allow_none=True, validate=validate.OneOf(("incident", "change")), metadata={
        "description": "incident or change; null for both."})
    position = fields.Integer(validate=validate.Range(-10_000, 10_000), metadata={
        "description": "Forms show fields by position, then name."})


class FieldCreateSchema(FieldAttributes):
    name = fields.String(required=True, validate=Name, metadata={
        "description": "The key in a ticket's custom_fields and in mappings (custom:<name>); it never changes."})
    label = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "What forms and lists call it: 'Cabin number'."})
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES), metadata={
        "description": "text, number, choice (one of options), date (YYYY-MM-DD) or ci (a configuration item's "
                       "key)."})


class FieldPatchSchema(FieldAttributes):
    pass


class FieldSchema(ma.Schema):
    name = fields.String()
    label = fields.String()
    help = fields.String()
    type = fields.String()
    options = fields.List(fields.String())
    required = fields.Boolean()
    department = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    position = fields.Integer()


class FieldListArgs(Strict):
    department = fields.String(metadata={"description": "Only the fields a ticket of this department has."})
    kind = fields.String(validate=validate.OneOf(("incident", "change")),
                         metadata={"description": "Only the fields a ticket of this kind has."})


class FieldDeleteArgs(Strict):
    with_values = fields.Boolean(load_default=False, metadata={
        "description": "Delete it although tickets have values (they keep them as plain data)."})
