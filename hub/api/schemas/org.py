"""Schemas of departments, groups, categories and configuration items."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from hub.api.schemas.tickets import Strict

Slug = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Lower-case letters, digits and dashes, at most 64.")


class DepartmentSchema(Strict):
    slug = fields.String(required=True, validate=Slug)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)


class GroupSchema(Strict):
    slug = fields.String(required=True, validate=Slug)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)
    department = fields.String(allow_none=True)
    members = fields.List(fields.String(), load_default=list)


class CategorySchema(Strict):
    slug = fields.String(required=True, validate=Slug)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    department = fields.String(allow_none=True)


class ConfigurationItemSchema(Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="service",
                         validate=validate.OneOf(("site", "line", "machine", "service", "room", "building", "other")))
    parent = fields.String(allow_none=True, metadata={"description": "Key of the parent item."})
    department = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


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
