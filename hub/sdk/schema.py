"""Connector configuration: a marshmallow schema whose fields say how to present them.

Every field carries ``metadata`` with a ``title`` and a ``description`` (the admin form
and the docs are generated from them) and ``secret=True`` for passwords and tokens:
secrets are encrypted at rest, never returned by the API, and write-only in forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from marshmallow import fields

from hub.sdk.references import OrgReference

SECRET_MASK = "********"  # noqa: S105 - what the API shows instead of a secret
_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "private_key", "credential")


class ConfigSchema(ma.Schema):
    """Base of every connector's configuration schema: unknown keys are errors."""

    class Meta:
        unknown = ma.RAISE

    @classmethod
    def org_references(cls, values: dict[str, Any]) -> list[OrgReference]:
        """The organisation items ``values`` (as stored: data keys) name, each with its path;
        the hub checks them on save and keeps them in step (hub.sdk.references). None here."""
        return []


def secret(**kwargs: Any) -> fields.String:
    """A secret string field (password, token, key)."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["secret"] = True
    for key in ("title", "description"):
        if key in kwargs:
            metadata[key] = kwargs.pop(key)
    return fields.String(metadata=metadata, **kwargs)


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    title: str
    description: str
    required: bool
    secret: bool
    default: Any
    choices: list[Any] | None
    many: bool
    item_type: str = "string"
    """For a list (``many``): its items' type; ``object`` items (field rules, write effects)
    are edited as one JSON list."""


def _type_name(field: fields.Field) -> str:
    for kind, name in ((fields.Boolean, "boolean"), (fields.Integer, "integer"), (fields.Float, "number"),
                       (fields.Email, "email"), (fields.Url, "url"), (fields.Dict, "object"),
                       (fields.List, "list"), (fields.Nested, "object"), (fields.String, "string")):
        if isinstance(field, kind):
            return name
    return "string"


def describe(schema: type[ma.Schema] | ma.Schema) -> list[FieldInfo]:
    """The fields of a configuration schema, as a form or a doc page shows them."""
    instance = schema() if isinstance(schema, type) else schema
    out = []
    for name, field in instance.fields.items():
        metadata = field.metadata or {}
        choices = None
        validator = field.validate
        validators = validator if isinstance(validator, list | tuple) else [validator] if validator else []
        for check in validators:
            if isinstance(check, ma.validate.OneOf):
                choices = list(check.choices)
        default = field.load_default
        out.append(FieldInfo(
            name=name,
            type=_type_name(field),
            title=str(metadata.get("title", "")),
            description=str(metadata.get("description", "")),
            required=bool(field.required),
            secret=bool(metadata.get("secret", False)),
            default=None if default is ma.missing or callable(default) else default,
            choices=choices,
            many=isinstance(field, fields.List),
            item_type=_type_name(field.inner) if isinstance(field, fields.List) else "string",
        ))
    return out


def secret_names(schema: type[ma.Schema] | ma.Schema) -> set[str]:
    return {info.name for info in describe(schema) if info.secret}


def looks_secret(name: str) -> bool:
    """Field names that must be flagged secret (the contract suite checks this)."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def json_ready(value: Any) -> Any:
    """A schema's output as plain JSON (times and dates as ISO text, other objects as
    their text): what a settings column stores, and what an edit page reads back."""
    import json

    return json.loads(json.dumps(value, default=lambda item: item.isoformat() if hasattr(item, "isoformat")
                                 else str(item)))
