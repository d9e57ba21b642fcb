"""One form for every field an agent may change, with the API PATCH's validation and audit.

The form carries the version it was loaded with and, for each field, the value it showed.
Only fields the agent changed are sent to the tracker. A save against a newer version
compares the ticket now with what the form showed: when someone else changed any field of
the form meanwhile, nothing is saved and the page lists each such field (theirs, yours),
with the form now holding their values plus the agent's own edits, for a deliberate second
save. When nothing of the form changed (an SLA timer or a comment raised the version), the
save goes through: nobody's change is overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from hub.api.presenters import ticket_values
from hub.api.schemas.tickets import ChangePatchSchema, IncidentPatchSchema, ProblemPatchSchema
from hub.core.runtime import runtime_of
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.safe_json import parse_json
from hub.sdk.tracker_errors import ValidationFailed
from hub.sdk.values import CustomFieldInfo
from hub.tracker import tickets
from hub.tracker.custom_fields import fields_for
from hub.tracker.org import name_for
from hub.ui.moments import local_input, parse_local

COMMON_FIELDS = ("title", "description", "impact", "urgency", "priority", "department", "group", "assignee",
                 "category", "ci", "tags", "custom_fields")
CHANGE_FIELDS = ("type", "risk", "planned_start", "planned_end")
PROBLEM_FIELDS = ("root_cause", "workaround", "incident_key")
#: The fields each kind adds to the common ones.
KIND_FIELDS = {"change": CHANGE_FIELDS, "problem": PROBLEM_FIELDS}
LABELS = {"title": "Title", "description": "Description", "impact": "Impact", "urgency": "Urgency",
          "priority": "Priority", "department": "Department", "group": "Group", "assignee": "Assignee",
          "category": "Category", "ci": "Configuration item", "tags": "Tags", "custom_fields": "Custom fields",
          "type": "Change type", "risk": "Risk", "planned_start": "Planned start", "planned_end": "Planned end",
          "root_cause": "Root cause", "workaround": "Workaround", "incident_key": "Incident key"}
PATCH_SCHEMAS = {"change": ChangePatchSchema, "problem": ProblemPatchSchema}
_NAMES = {"department": ("department", "department_id"), "group": ("group", "group_id"),
          "assignee": ("user", "assignee_id"), "category": ("category", "category_id"), "ci": ("ci", "ci_id")}


def fields_of(kind: str, custom: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The form's inputs: the ticket's own fields, then one ``cf.<name>`` per custom field it has."""
    return COMMON_FIELDS + KIND_FIELDS.get(kind, ()) + tuple(f"cf.{name}" for name in custom)


def custom_of(session: Session, ticket: Ticket) -> list[CustomFieldInfo]:
    """The custom fields of the ticket's department and kind, in form order."""
    return [item.info for item in fields_for(session, ticket.kind, ticket.department_id)]


def custom_labels(custom: list[CustomFieldInfo]) -> dict[str, str]:
    return {f"cf.{info.name}": info.label for info in custom}


def custom_shown(ticket: Ticket, custom: list[CustomFieldInfo]) -> dict[str, list[tuple[str, Any]]]:
    """The Details list's custom fields: the department's (by label, filled in or not), then
    any other data the ticket holds (by its name), the requester's phone apart."""
    stored = ticket.custom_fields or {}
    names = {info.name for info in custom}
    return {"defined": [(info.label, stored.get(info.name)) for info in custom],
            "extras": [(name.replace("_", " ").capitalize(), value) for name, value in stored.items()
                       if name not in names and name != "requester_phone"]}


def _as_text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


@dataclass
class EditState:
    """What the edit form shows: values as the inputs hold them, the values it was loaded
    with, the version, and any errors or conflicts of the last save."""

    values: dict[str, str]
    orig: dict[str, str]
    version: int
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    open: bool = False


def form_values(session: Session, ticket: Ticket, zone: ZoneInfo) -> dict[str, str]:
    """The ticket's editable fields as the form's inputs hold them (text)."""
    custom = {info.name for info in custom_of(session, ticket)}
    # Fields the department defines have inputs of their own; the JSON holds the rest (a
    # source's plain data such as jira_key).
    extras = {name: value for name, value in (ticket.custom_fields or {}).items() if name not in custom}
    values = {"title": ticket.title, "description": ticket.description or "", "impact": ticket.impact,
              "urgency": ticket.urgency, "tags": ", ".join(ticket.tags or []),
              "custom_fields": json.dumps(extras, indent=2, sort_keys=True, ensure_ascii=False) if extras else ""}
    values.update({f"cf.{name}": _as_text((ticket.custom_fields or {}).get(name)) for name in custom})
    follows = runtime_of(session).matrix.priority(ticket.impact, ticket.urgency) == ticket.priority
    values["priority"] = "" if follows else str(ticket.priority)
    for name, (what, column) in _NAMES.items():
        values[name] = name_for(session, what, getattr(ticket, column)) or ""
    if ticket.kind == "change":
        values.update(type=ticket.change_type or "", risk=ticket.risk or "",
                      planned_start=local_input(ticket.planned_start, zone),
                      planned_end=local_input(ticket.planned_end, zone))
    if ticket.kind == "problem":
        values.update(root_cause=ticket.root_cause or "", workaround=ticket.workaround or "",
                      incident_key=ticket.incident_key or "")
    return values


def fresh_state(session: Session, ticket: Ticket, zone: ZoneInfo) -> EditState:
    values = form_values(session, ticket, zone)
    return EditState(values=values, orig=dict(values), version=ticket.version)


def submitted(form: Any, kind: str, custom: tuple[str, ...] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """The values and the originals (``orig.<field>``) a posted form carries."""
    names = fields_of(kind, custom)
    values = {name: str(form.get(name, "")).replace("\r\n", "\n") for name in names}
    orig = {name: str(form.get(f"orig.{name}", "")).replace("\r\n", "\n") for name in names}
    values["title"] = values["title"].strip()
    return values, orig


def _api_value(name: str, text: str, zone: ZoneInfo, errors: dict[str, list[str]]) -> Any:
    """A form input as the API's PATCH body would carry it."""
    text = text.strip() if name not in ("description", "root_cause", "workaround") else text
    if name == "priority":
        return int(text) if text.isdigit() else (text or None)  # a non-number: the schema names it
    if name in _NAMES:
        return text or None
    if name == "tags":
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    if name == "custom_fields":
        if not text:
            return {}
        try:
            value = parse_json(text)
        except ValueError as exc:
            errors[name] = [f"Not JSON: {exc}. Write an object such as {{\"room\": \"12\"}}."]
            return None
        if not isinstance(value, dict):
            errors[name] = ['A JSON object, such as {"room": "12"}.']
        return value
    if name in ("planned_start", "planned_end"):
        if not text:
            return None
        try:
            return parse_local(text, zone).isoformat()
        except ValueError as exc:
            errors[name] = [str(exc)]
            return None
    return text


def to_patch(kind: str, changed: dict[str, str], zone: ZoneInfo, orig: dict[str, str] | None = None) -> dict[str, Any]:
    """The tracker's values for the changed fields, through the API PATCH's schema."""
    errors: dict[str, list[str]] = {}
    body = {name: _api_value(name, text, zone, errors) for name, text in changed.items()
            if not name.startswith("cf.") and name != "custom_fields"}
    custom = _custom_patch(changed, orig or {}, zone, errors)
    if custom is not None:
        body["custom_fields"] = custom
    if errors:
        raise ValidationFailed(errors)
    schema = PATCH_SCHEMAS.get(kind, IncidentPatchSchema)()
    try:
        loaded = schema.load(body)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        raise ValidationFailed({str(name): _flat(value) for name, value in messages.items()}) from None
    return ticket_values(loaded)


def _custom_patch(changed: dict[str, str], orig: dict[str, str], zone: ZoneInfo,
                  errors: dict[str, list[str]]) -> dict[str, Any] | None:
    """The custom fields the agent changed, as a merge: each ``cf.<name>`` input typed (empty
    clears it), and a key taken out of the JSON sent as null."""
    custom: dict[str, Any] = {name[3:]: text.strip() or None for name, text in changed.items()
                              if name.startswith("cf.")}
    if "custom_fields" in changed:
        new = _api_value("custom_fields", changed["custom_fields"], zone, errors)
        try:
            old = parse_json(orig.get("custom_fields") or "{}")
        except ValueError:
            old = {}
        if isinstance(new, dict):
            custom.update({name: None for name in (old if isinstance(old, dict) else {}) if name not in new})
            custom.update(new)
    return custom if custom or "custom_fields" in changed else None


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _flat(value)]
    if isinstance(messages, list):
        return [text for value in messages for text in _flat(value)]
    return [str(messages)]


def save_edit(session: Session, ticket: Ticket, form: Any, actor: Actor, zone: ZoneInfo) -> tuple[EditState, dict]:
    """Apply the agent's edits; returns the form state to show and what changed.

    Raises ValidationFailed for bad values (the state is attached as ``exc.edit_state``).
    """
    custom = custom_of(session, ticket)
    labels = {**LABELS, **custom_labels(custom)}
    values, orig = submitted(form, ticket.kind, tuple(info.name for info in custom))
    version = _int(form.get("version"))
    changed = {name: text for name, text in values.items() if text != orig.get(name, "")}
    current = form_values(session, ticket, zone)
    if version != ticket.version:
        theirs = {name for name in values if current.get(name, "") != orig.get(name, "")}
        if theirs:
            shown = {**current, **changed}  # their values, with the agent's own edits on top
            conflicts = [{"field": name, "label": labels.get(name, name), "theirs": current.get(name, ""),
                          "yours": values[name] if name in changed else "", "you_changed": "1" if name in changed
                          else ""} for name in values if name in theirs]
            return EditState(values=shown, orig=current, version=ticket.version, conflicts=conflicts,
                             open=True), {}
    if not changed:
        return EditState(values=current, orig=dict(current), version=ticket.version), {}
    try:
        patch = to_patch(ticket.kind, changed, zone, orig)
        changes = tickets.update_ticket(session=session, ticket=ticket, values=patch, actor=actor,
                                        expected_version=ticket.version)
    except ValidationFailed as exc:
        exc.edit_state = EditState(  # type: ignore[attr-defined]
            values={**current, **changed}, orig=current, version=ticket.version,
            errors={_field_name(name): messages for name, messages in exc.errors.items()}, open=True)
        raise
    return fresh_state(session, ticket, zone), changes


def _field_name(name: str) -> str:
    if name.startswith("custom_fields."):
        return "cf." + name.removeprefix("custom_fields.")
    return {"change_type": "type"}.get(name, name)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None
