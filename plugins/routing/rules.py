"""Routing rules: conditions on a new ticket (and the event it came from), and what to set."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields, validate

from hub.sdk import ConfigSchema, EventInfo, InstanceInfo, TicketDraft
from hub.sdk.mapping import MISSING, get_path


class WhenSchema(ConfigSchema):
    departments = fields.List(fields.String(), load_default=list, metadata={"title": "Department is one of"})
    categories = fields.List(fields.String(), load_default=list, metadata={"title": "Category is one of"})
    sources = fields.List(fields.String(), load_default=list, metadata={
        "title": "Came through", "description": "Connector instance slugs, or 'api' for the API and pages."})
    cis = fields.List(fields.String(), load_default=list, metadata={"title": "Configuration item is one of"})
    kinds = fields.List(fields.String(validate=validate.OneOf(("incident", "change"))), load_default=list)
    keywords = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list, metadata={
        "title": "Mentions any of", "description": "Words looked for in the title and description (any case)."})
    fields_ = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict, data_key="fields",
                          metadata={"title": "Event fields", "description": 'Paths in the event with the value '
                                    'they must have, e.g. {"labels.severity": "critical"}.'})


class SetSchema(ConfigSchema):
    group = fields.String(load_default=None, allow_none=True, metadata={"title": "Assignment group"})
    assignee = fields.String(load_default=None, allow_none=True, metadata={"title": "Assignee (username)"})
    priority = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 5))
    department = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)


class RuleSchema(ConfigSchema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,59}$",
                                                                  error="Lower-case letters, digits and dashes."))
    when = fields.Nested(WhenSchema, load_default=dict)
    set = fields.Nested(SetSchema, required=True)
    continue_ = fields.Boolean(load_default=False, data_key="continue", metadata={
        "title": "Go on to the next rules", "description": "Off: the first rule that matches is the last."})


class RoutingSettings(ConfigSchema):
    rules = fields.List(fields.Nested(RuleSchema), load_default=list, metadata={
        "title": "Rules", "description": "Tried in order on every new ticket."})


def matches(rule: dict[str, Any], draft: TicketDraft, event: EventInfo | None, instance: InstanceInfo | None) -> bool:
    when = rule["when"]
    source = instance.slug if instance is not None else "api"
    for values, actual in ((when["departments"], draft.department), (when["categories"], draft.category),
                           (when["sources"], source), (when["cis"], draft.ci), (when["kinds"], draft.kind)):
        if values and actual not in values:
            return False
    if when["keywords"]:
        text = f"{draft.title}\n{draft.description}".lower()
        if not any(re.search(rf"\b{re.escape(word.lower())}\b", text) for word in when["keywords"]):
            return False
    for path, expected in when["fields_"].items():
        payload = event.payload if event is not None else None
        found = get_path(payload, path) if payload is not None else MISSING
        if found is MISSING or str(found) != str(expected):
            return False
    return True


def apply(rule: dict[str, Any], draft: TicketDraft) -> None:
    changes = rule["set"]
    for name in ("group", "assignee", "priority", "department"):
        if changes[name] is not None:
            setattr(draft, name, changes[name])
    for tag in [*changes["tags"], f"routed:{rule['name']}"]:
        if tag not in draft.tags:
            draft.tags.append(tag)
