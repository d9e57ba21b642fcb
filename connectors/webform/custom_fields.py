"""A web form that asks its department's custom fields (``ask_custom_fields``).

The hub's definitions (hub.sdk.tracker.custom_field_definitions) become form fields after the
form's own: text and configuration items as text, numbers as numbers, choices as selects,
dates as dates, each with its label, help and required flag. The form checks them like its
own fields, in the requester's language; the answers travel with the event as
``custom_fields`` and the hub checks them again when it opens the ticket.
"""

from __future__ import annotations

from typing import Any

from hub.sdk import tracker
from hub.sdk.values import CustomFieldInfo, InstanceInfo

#: A custom field's type as a web form field's.
FORM_TYPES = {"text": "text", "number": "number", "choice": "select", "date": "date", "ci": "text"}
MARK = "custom_field"


def spec_of(info: CustomFieldInfo) -> dict[str, Any]:
    return {"name": info.name, "label": info.label, "type": FORM_TYPES.get(info.type, "text"),
            "required": info.required, "help": info.help, "max_length": None, "options": list(info.options),
            "maps_to": "custom", MARK: True}


def with_custom_fields(session: Any, instance: InstanceInfo, config: dict[str, Any]) -> dict[str, Any]:
    """The form's definition with its department's custom fields added (a copy), when it asks them."""
    if not config.get("ask_custom_fields") or not instance.department:
        return config
    own = {spec["name"] for spec in config["fields"]}
    asked = [spec_of(info) for info in tracker.custom_field_definitions(
        session, department=instance.department, kind=config.get("kind", "incident")) if info.name not in own]
    return {**config, "fields": [*config["fields"], *asked]} if asked else config


def split_answers(config: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The checked values: the form's own, and the custom fields' (by name)."""
    custom = {spec["name"] for spec in config["fields"] if spec.get(MARK)}
    return ({name: value for name, value in values.items() if name not in custom},
            {name: value for name, value in values.items() if name in custom})
