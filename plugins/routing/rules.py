"""Routing rules: conditions on a new ticket (and the event it came from), and what to set."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields, validate

from hub.sdk import ConfigSchema, EventInfo, InstanceInfo, TicketDraft
from hub.sdk.mapping import MISSING, get_path
from hub.sdk.references import OrgReference, named, one


class WhenSchema(ConfigSchema):
    departments = fields.List(fields.String(), load_default=list, metadata={"title": "Department is one of"})
    categories = fields.List(fields.String(), load_default=list, metadata={"title": "Category is one of"})
    sources = fields.List(fields.String(), load_default=list, metadata={
        "title": "Came through", "description": "Connector instance slugs, or 'api' for the API and pages."})
    cis = fields.List(fields.String(), load_default=list, metadata={"title": "Configuration item is one of"})
    kinds = fields.List(fields.String(validate=validate.OneOf(("incident", "change", "problem"))), load_default=list)
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
    default_group = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Default group", "description": "Where a ticket goes when the group its rule names no longer "
        "exists (empty: no group)."})

    @classmethod
    def org_references(cls, values: dict[str, Any]) -> list[OrgReference]:
        found = one("group", values.get("default_group"), "default_group", "the routing default group")
        for position, rule in enumerate(values.get("rules") or []):
            found += rule_references(rule, f"rules.{position}")
        return found


#: What a rule sets that names an item: field -> (kind, what tickets meet while it is missing).
SET_NAMES = {"group": ("group", "went to the default group"),
             "department": ("department", "opened without that department"),
             "assignee": ("user", "opened without that assignee")}
#: What a rule's conditions name: field -> kind.
WHEN_NAMES = {"departments": "department", "categories": "category", "cis": "ci"}


def rule_references(rule: dict[str, Any], path: str) -> list[OrgReference]:
    """The organisation names in one rule, stored or loaded (their keys are the same)."""
    owner = f"routing rule {rule.get('name') or '?'}"
    found: list[OrgReference] = []
    for key, kind in WHEN_NAMES.items():
        found += named(kind, (rule.get("when") or {}).get(key) or [], f"{path}.when.{key}", owner)
    for key, (kind, effect) in SET_NAMES.items():
        found += one(kind, (rule.get("set") or {}).get(key), f"{path}.set.{key}", owner, effect)
    return found


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


def apply(rule: dict[str, Any], draft: TicketDraft, gone: dict[str, list[str]] | None = None,
          default_group: str | None = None) -> None:
    """Set what the rule sets; a group, department or assignee in ``gone`` (it no longer
    exists) is not set: the group becomes ``default_group``, the others stay as they were,
    and ``draft.notes`` says so for the ticket's audit."""
    changes = rule["set"]
    for name in ("group", "assignee", "priority", "department"):
        value = changes[name]
        if value is None:
            continue
        kind = SET_NAMES[name][0] if name in SET_NAMES else None
        if kind is not None and value in (gone or {}).get(kind, ()):
            draft.notes.append(_fallback_note(rule["name"], name, value, draft, default_group))
            if name == "group":
                draft.group = default_group
            continue
        setattr(draft, name, value)
    for tag in [*changes["tags"], f"routed:{rule['name']}"]:
        if tag not in draft.tags:
            draft.tags.append(tag)


def _fallback_note(rule: str, name: str, value: str, draft: TicketDraft, default_group: str | None) -> str:
    kind = {"assignee": "user"}.get(name, name)
    said = f"Routing rule {rule} names {kind} {value!r}, which no longer exists; "
    if name == "group":
        return said + (f"the ticket went to the default group {default_group}." if default_group
                       else "the ticket has no group (no default group is set).")
    if name == "department":
        return said + f"the ticket kept its department ({draft.department or 'none'})."
    return said + ("the ticket kept its assignee." if draft.assignee else "the ticket was left unassigned.")
