"""Admin services for custom fields: define, change, delete, and look up a ticket's fields.

A field belongs to one department (or all) and one ticket kind (or both). Its name is unique
across the hub. Definitions are read on every ticket write, so they are cached per runtime
like the organisation's names (hub.tracker.org) and the cache is dropped on every change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import FIELD_TYPES, CustomField, TicketFieldValue
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.sdk.values import CustomFieldInfo
from hub.tracker.org import _cached, forget, id_for, name_for
from hub.tracker.org_log import record_change
from hub.tracker.states import MACHINES

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NAME_RULE = "Lower-case letters, digits and _, starting with a letter, at most 40."
#: Names the ticket already uses for its own fields: a custom field of that name would be
#: ambiguous in lists, filters and mappings.
RESERVED = frozenset({"title", "description", "status", "priority", "impact", "urgency", "department", "category",
                      "ci", "group", "assignee", "requester", "tags", "kind", "ref", "type", "risk"})
MAX_OPTIONS = 100
OPTION_MAX = 100
KINDS = tuple(MACHINES)
EDITABLE = ("label", "help", "type", "options", "required", "department", "kind", "position")


@dataclass(frozen=True)
class Definition:
    """A field as the write paths check it: the SDK's snapshot plus the ids they match on."""

    id: int
    department_id: int | None
    info: CustomFieldInfo

    def applies_to(self, kind: str, department_id: int | None) -> bool:
        return (self.info.kind in (None, kind)) and (self.department_id is None or self.department_id == department_id)


def definitions(session: Session) -> list[Definition]:
    """Every field, in form order (cached per runtime; admin changes here drop the cache)."""
    def load() -> list[Definition]:
        rows = session.scalars(select(CustomField).order_by(CustomField.position, CustomField.name))
        return [Definition(id=row.id, department_id=row.department_id, info=info_of(session, row)) for row in rows]

    found: list[Definition] = _cached(session, ("custom_fields", None), load)
    return found


def fields_for(session: Session, kind: str, department_id: int | None) -> list[Definition]:
    """The fields a ticket of this kind in this department has."""
    return [item for item in definitions(session) if item.applies_to(kind, department_id)]


def by_name(session: Session) -> dict[str, Definition]:
    return {item.info.name: item for item in definitions(session)}


def info_of(session: Session, row: CustomField) -> CustomFieldInfo:
    return CustomFieldInfo(name=row.name, label=row.label, type=row.type, required=row.required, help=row.help,
                           options=tuple(row.options or ()), department=name_for(session, "department",
                                                                                 row.department_id),
                           kind=row.kind, position=row.position, id=row.id)


def present(info: CustomFieldInfo) -> dict[str, Any]:
    """A field as the API and the CLI show it."""
    return {"name": info.name, "label": info.label, "type": info.type, "required": info.required,
            "help": info.help, "options": list(info.options), "department": info.department, "kind": info.kind,
            "position": info.position}


def get_field(session: Session, name: str) -> CustomField:
    row = session.scalar(select(CustomField).where(CustomField.name == name))
    if row is None:
        raise NotFound(f"No custom field {name!r}.")
    return row


def list_fields(session: Session, *, department: str | None = None, kind: str | None = None) -> list[CustomFieldInfo]:
    """Fields in form order; with ``department`` or ``kind``, those a ticket there has."""
    department_id = None
    if department:
        department_id = id_for(session, "department", department)
        if department_id is None:
            raise ValidationFailed({"department": [f"No department {department!r}."]})
    out = []
    for item in definitions(session):
        if department and item.department_id not in (None, department_id):
            continue
        if kind and item.info.kind not in (None, kind):
            continue
        out.append(item.info)
    return out


def _check(session: Session, data: dict[str, Any], errors: dict[str, list[str]],
           current: CustomField | None = None) -> dict[str, Any]:
    """Each given attribute, cleaned; problems go into ``errors`` by attribute."""
    clean: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if "label" in data:
        label = " ".join(str(data["label"] or "").split())
        if not label:
            fail("label", "Required.")
        elif len(label) > 200:
            fail("label", "At most 200 characters.")
        clean["label"] = label
    if "help" in data:
        text = str(data["help"] or "").strip()
        if len(text) > 500:
            fail("help", "At most 500 characters.")
        clean["help"] = text
    if "type" in data:
        if data["type"] not in FIELD_TYPES:
            fail("type", f"Must be one of: {', '.join(FIELD_TYPES)}.")
        clean["type"] = data["type"]
    if "options" in data:
        clean["options"] = _options(data["options"], fail)
    if "required" in data:
        if not isinstance(data["required"], bool):
            fail("required", "Must be true or false.")
        clean["required"] = bool(data["required"])
    clean.update(_check_scope(session, data, fail))
    kind = clean.get("type", current.type if current else None)
    options = clean.get("options", current.options if current else [])
    if kind == "choice" and not options and "options" not in errors:
        fail("options", "A choice field needs at least one option.")
    if kind != "choice" and clean.get("options"):
        fail("options", "Only choice fields have options.")
    return clean


def _check_scope(session: Session, data: dict[str, Any], fail: Any) -> dict[str, Any]:
    """Where the field applies (department, kind) and where forms show it (position)."""
    clean: dict[str, Any] = {}
    if "department" in data:
        slug = data["department"] or None
        clean["department_id"] = id_for(session, "department", str(slug)) if slug else None
        if slug and clean["department_id"] is None:
            fail("department", f"No department {slug!r}.")
    if "kind" in data:
        if data["kind"] not in (None, "", *KINDS):
            fail("kind", f"Must be one of: {', '.join(KINDS)} (or empty for both).")
        clean["kind"] = data["kind"] or None
    if "position" in data:
        position = data["position"]
        if not isinstance(position, int) or isinstance(position, bool) or not -10_000 <= position <= 10_000:
            fail("position", "A whole number from -10000 to 10000.")
        clean["position"] = position
    return clean


def _options(value: Any, fail: Any) -> list[str]:
    if isinstance(value, str):  # a form's or the CLI's "a, b, c"
        value = [part for part in (piece.strip() for piece in value.replace("\n", ",").split(",")) if part]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        fail("options", "A list of texts.")
        return []
    options = [item.strip() for item in value if item.strip()]
    if len(options) > MAX_OPTIONS:
        fail("options", f"At most {MAX_OPTIONS} options.")
    if any(len(item) > OPTION_MAX for item in options):
        fail("options", f"Each option at most {OPTION_MAX} characters.")
    if len(set(options)) != len(options):
        fail("options", "Each option once.")
    return options


def create_field(*, session: Session, name: str, label: str, type: str, actor: Actor | None = None,
                 **data: Any) -> CustomField:
    """Define a field; ``data`` may hold help, options, required, department (slug), kind, position."""
    errors: dict[str, list[str]] = {}
    name = str(name or "").strip()
    if not NAME_PATTERN.match(name):
        errors["name"] = [NAME_RULE]
    elif name in RESERVED:
        errors["name"] = [f"{name!r} is a ticket field of its own; choose another name."]
    unknown = sorted(set(data) - set(EDITABLE))
    for key in unknown:
        errors[key] = ["Unknown attribute."]
    clean = _check(session, {"label": label, "type": type, **data}, errors)
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(select(CustomField.id).where(CustomField.name == name)) is not None:
        raise Conflict(f"A custom field {name!r} exists already.")
    row = CustomField(name=name, help=clean.pop("help", ""), options=clean.pop("options", []),
                      required=clean.pop("required", False), position=clean.pop("position", 0), **clean)
    session.add(row)
    session.flush()
    forget(session)
    record_change(session, item_type="field", item_id=row.id, item_name=name, action="created", actor=actor,
                  changes={"label": row.label, "type": row.type})
    return row


def update_field(*, session: Session, field: CustomField, changes: dict[str, Any],
                 actor: Actor | None = None) -> dict[str, list[Any]]:
    """Change the attributes given; returns ``{attribute: [old, new]}``.

    A field's type changes only while no ticket has a value for it (the stored values would
    no longer read as that type); an option still in use cannot be removed.
    """
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(changes) - set(EDITABLE))
    for key in unknown:
        errors[key] = ["Cannot be changed." if key == "name" else "Unknown attribute."]
    clean = _check(session, changes, errors, current=field)
    if errors:
        raise ValidationFailed(errors)
    used = _values_in_use(session, field)
    if clean.get("type", field.type) != field.type and used:
        raise Conflict(f"{used} tickets have a value for {field.name!r}; its type cannot change. "
                       "Define a new field instead.")
    if "options" in clean and field.type == "choice":
        gone = set(field.options or []) - set(clean["options"])
        still = sorted(option for option in gone if session.scalar(
            select(func.count()).select_from(TicketFieldValue).where(
                TicketFieldValue.field_id == field.id, TicketFieldValue.text_value == option)))
        if still:
            raise ValidationFailed({"options": [f"Tickets still have {', '.join(map(repr, still))}: keep it, or "
                                                "change those tickets first."]})
    done: dict[str, list[Any]] = {}
    for column, value in clean.items():
        old = getattr(field, column)
        if old != value:
            setattr(field, column, value)
            key = "department" if column == "department_id" else column
            done[key] = ([name_for(session, "department", old), name_for(session, "department", value)]
                         if column == "department_id" else [old, value])
    if done:
        session.flush()
        forget(session)
        record_change(session, item_type="field", item_id=field.id, item_name=field.name, action="updated",
                      actor=actor, changes=done)
    return done


def delete_field(*, session: Session, field: CustomField, actor: Actor | None = None,
                 with_values: bool = False) -> int:
    """Delete a field; refused (409) while tickets have a value for it unless ``with_values``.

    Returns how many values went with it. The tickets keep the value in their
    ``custom_fields`` as plain data (no longer checked, filtered or offered on forms).
    """
    used = _values_in_use(session, field)
    if used and not with_values:
        raise Conflict(f"{used} tickets have a value for {field.name!r}. Delete it with its values "
                       "(the tickets keep them as plain data), or keep the field.", in_use={"tickets": used})
    record_change(session, item_type="field", item_id=field.id, item_name=field.name, action="deleted",
                  actor=actor, changes={"values": used})
    session.delete(field)
    session.flush()
    forget(session)
    return used


def _values_in_use(session: Session, field: CustomField) -> int:
    return int(session.scalar(select(func.count()).select_from(TicketFieldValue)
                              .where(TicketFieldValue.field_id == field.id)) or 0)
