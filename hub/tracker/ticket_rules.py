"""The rules a ticket's own fields keep, per kind: what a create or an update may hold
(custom fields: hub.tracker.field_values)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.models.base import EARLIEST, LATEST, storable_moment
from hub.tracker.priority import LEVELS

CHANGE_TYPES = ("standard", "normal", "emergency")
RISKS = ("low", "medium", "high")
CHANGE_FIELDS = ("change_type", "risk", "planned_start", "planned_end")
#: Fields only problems have.
PROBLEM_FIELDS = ("root_cause", "workaround", "incident_key")
#: The longest incident key (as a correlation key).
MAX_KEY = 255
#: The most a problem's texts may hold (as a description).
MAX_TEXT = 100_000

Errors = dict[str, list[str]]


def validate_values(kind: str, values: Mapping[str, Any], *, creating: bool) -> Errors:
    """Every field of ``values`` that breaks a rule of this kind, with why."""
    errors = _common_errors(values, creating=creating)
    errors.update(_change_errors(kind, values))
    errors.update(_problem_errors(kind, values))
    return errors


def _common_errors(values: Mapping[str, Any], *, creating: bool) -> Errors:
    errors: Errors = {}
    if creating or "title" in values:
        title = values.get("title")
        if not isinstance(title, str) or not title.strip():
            errors["title"] = ["A title is required."]
        elif len(title) > 500:
            errors["title"] = ["At most 500 characters."]
    for name in ("impact", "urgency"):
        if name in values and values[name] not in LEVELS:
            errors[name] = [f"Must be one of: {', '.join(LEVELS)}."]
    if values.get("priority") is not None and values["priority"] not in (1, 2, 3, 4, 5):
        errors["priority"] = ["Must be 1 to 5."]
    return errors


def _change_errors(kind: str, values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if kind != "change":
        return {name: ["Only changes have this field."] for name in CHANGE_FIELDS if values.get(name) is not None}
    if "change_type" in values and values["change_type"] not in CHANGE_TYPES:
        errors["change_type"] = [f"Must be one of: {', '.join(CHANGE_TYPES)}."]
    if "risk" in values and values["risk"] not in RISKS:
        errors["risk"] = [f"Must be one of: {', '.join(RISKS)}."]
    for name in ("planned_start", "planned_end"):
        moment = values.get(name)
        if moment is not None and not (isinstance(moment, datetime) and storable_moment(moment)):
            errors[name] = [f"Must be a date-time with a time zone, between {EARLIEST.date()} and "
                            f"{LATEST.date()}."]
    start, end = values.get("planned_start"), values.get("planned_end")
    readable = "planned_start" not in errors and "planned_end" not in errors
    if readable and isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        errors["planned_end"] = ["Must be after planned_start."]
    return errors


def _problem_errors(kind: str, values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    for name in PROBLEM_FIELDS:
        text = values.get(name)
        if text is None:
            continue
        if kind != "problem":
            errors[name] = ["Only problems have this field."]
        elif not isinstance(text, str) or len(text) > (MAX_KEY if name == "incident_key" else MAX_TEXT):
            errors[name] = [f"Text of at most {MAX_KEY if name == 'incident_key' else MAX_TEXT} characters."]
    return errors


def stored_text(value: Any) -> str | None:
    """A problem's text as stored: blank is none."""
    return (value.strip() or None) if isinstance(value, str) else None
