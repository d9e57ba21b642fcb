"""A web form's definition: its fields, what each one fills in on the ticket, and its limits."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as mf

from hub.sdk import ConfigSchema
from hub.sdk.references import OrgReference, named

FIELD_TYPES = ("text", "textarea", "email", "select", "checkbox", "date", "number", "file")
TARGETS = ("title", "description", "requester_name", "requester_email", "department", "category", "impact",
           "urgency", "ci", "custom")
LEVELS = ("low", "medium", "high")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
#: Targets whose choices name organisation items, and what a ticket meets when one is gone
#: (categories and items are made on first use, so only a department can be missing).
NAMED_TARGETS = {"department": "opened in the form's own department", "category": None, "ci": None}
DEFAULT_TYPES = ["image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", "text/csv"]


class FieldSpec(ConfigSchema):
    name = mf.String(required=True, validate=validate.Regexp(NAME, error="Lower-case letters, digits and _."),
                         metadata={"title": "Name", "description": "The field's key in posts, e.g. 'room'."})
    label = mf.String(required=True, validate=validate.Length(min=1, max=200), metadata={"title": "Label"})
    type = mf.String(load_default="text", validate=validate.OneOf(FIELD_TYPES), metadata={"title": "Type"})
    required = mf.Boolean(load_default=False, metadata={"title": "Required"})
    help = mf.String(load_default="", validate=validate.Length(max=500), metadata={"title": "Help text"})
    max_length = mf.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 20_000),
                                metadata={"title": "Maximum length"})
    options = mf.List(mf.String(validate=validate.Length(min=1, max=100)), load_default=list,
                          metadata={"title": "Options", "description": "The choices of a select field."})
    maps_to = mf.String(load_default="custom", validate=validate.OneOf(TARGETS), metadata={
        "title": "Fills in", "description": "The ticket field this one sets; 'custom' keeps it as a custom field."})

    @validates_schema
    def check_options(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("type") == "select" and not data.get("options"):
            raise ValidationError("A select field needs options.", "options")
        if data.get("maps_to") in ("impact", "urgency") and data.get("type") == "select" and \
                not set(data.get("options") or []) <= set(LEVELS):
            raise ValidationError(f"Impact and urgency take {', '.join(LEVELS)}.", "options")


class FieldWording(ConfigSchema):
    label = mf.String(validate=validate.Length(min=1, max=200), metadata={"title": "Label"})
    help = mf.String(validate=validate.Length(max=500), metadata={"title": "Help text"})
    options = mf.Dict(keys=mf.String(), values=mf.String(validate=validate.Length(min=1, max=100)), metadata={
        "title": "Options", "description": "The text shown for each option, by its value (the value is stored)."})


class FormWording(ConfigSchema):
    title = mf.String(validate=validate.Length(min=1, max=200), metadata={"title": "Form title"})
    intro = mf.String(validate=validate.Length(max=2000), metadata={"title": "Introduction"})
    # Keyed by field name; a name no field has (any more) is simply not used.
    fields = mf.Dict(keys=mf.String(), values=mf.Nested(FieldWording),  # type: ignore[assignment]
                     metadata={"title": "Fields", "description": "Each field's words, by its name."})


class WebformConfig(ConfigSchema):
    title = mf.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "title": "Form title", "description": "The heading people see, e.g. 'Tell us what went wrong'."})
    intro = mf.String(load_default="", validate=validate.Length(max=2000), metadata={
        "title": "Introduction", "description": "A sentence or two above the fields."})
    kind = mf.String(load_default="incident", validate=validate.OneOf(("incident", "change")),
                         metadata={"title": "Ticket kind"})
    # Named as admins write it; marshmallow keeps declared fields apart from Schema.fields.
    fields = mf.List(mf.Nested(FieldSpec), required=True,  # type: ignore[assignment]  # see above validate=validate.Length(min=1, max=40),
                         metadata={"title": "Fields", "description": "In the order they are shown."})
    ask_custom_fields = mf.Boolean(load_default=False, metadata={
        "title": "Ask the department's custom fields", "description": "Add the custom fields of the instance's "
        "department and the form's ticket kind (Admin > Custom fields) after the fields above, with their labels, "
        "help, options and required flags; the ticket gets the answers as its custom fields."})
    allowed_origins = mf.List(mf.String(validate=validate.Regexp(r"^https?://[^/\s]+$")),
                                  load_default=list, metadata={
        "title": "Allowed origins", "description": "Sites that may post to the JSON endpoint from a browser, "
        "e.g. https://www.example.org."})
    submissions_per_hour = mf.Integer(load_default=10, validate=validate.Range(1, 10_000), metadata={
        "title": "Submissions per hour per address", "description": "More are refused (429) as likely spam."})
    max_file_bytes = mf.Integer(load_default=5_000_000, validate=validate.Range(1, 25_000_000),
                                    metadata={"title": "Largest file (bytes)"})
    file_types = mf.List(mf.String(), load_default=lambda: list(DEFAULT_TYPES),
                             metadata={"title": "Allowed file types (MIME)"})
    translations = mf.Dict(keys=mf.String(validate=validate.Regexp(LANGUAGE_TAG, error="A language tag such as es.")),
                           values=mf.Nested(FormWording), load_default=dict, metadata={
        "title": "Translations", "description": "The form's own words in other languages, by language tag: "
        '{"es": {"title": "…", "intro": "…", "fields": {"room": {"label": "Habitación", "help": "…", '
        '"options": {"food": "Comida"}}}}}. A requester reading one of them sees these words; anything not '
        "given is shown as written above."})

    @classmethod
    def org_references(cls, values: dict[str, Any]) -> list[OrgReference]:
        """A choice field's options that fill in the department, category or item name them."""
        found: list[OrgReference] = []
        for position, spec in enumerate(values.get("fields") or []):
            kind = spec.get("maps_to")
            if spec.get("type") == "select" and kind in NAMED_TARGETS:
                found += named(kind, spec.get("options") or [], f"fields.{position}.options",
                               f"field {spec.get('label') or spec.get('name')}", NAMED_TARGETS[kind])
        return found

    @validates_schema
    def check_fields(self, data: dict[str, Any], **_: Any) -> None:
        names = [spec["name"] for spec in data.get("fields") or []]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValidationError(f"Field names must be unique: {', '.join(duplicates)}.", "fields")
        if "website" in names:
            raise ValidationError("'website' is reserved for the spam trap.", "fields")
        targets = [spec["maps_to"] for spec in data.get("fields") or [] if spec["maps_to"] != "custom"]
        repeated = sorted({target for target in targets if targets.count(target) > 1})
        if repeated:
            raise ValidationError(f"Only one field may fill in: {', '.join(repeated)}.", "fields")
        if "title" not in targets and "description" not in targets:
            raise ValidationError("One field must fill in the title or the description.", "fields")
