"""The rules a ticket's own fields keep, whoever writes them: a title, known levels, a
change's type, risk and planned window (custom fields: hub.tracker.field_values)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.models.base import EARLIEST, LATEST, storable_moment
from hub.tracker.priority import LEVELS

CHANGE_TYPES = ("standard", "normal", "emergency")
RISKS = ("low", "medium", "high")


def validate_values(kind: str, values: Mapping[str, Any], *, creating: bool) -> dict[str, list[str]]:
    """Each field that breaks a rule, with its messages (empty: none does)."""
    errors: dict[str, list[str]] = {}
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
    if kind == "change":
        if "change_type" in values and values["change_type"] not in CHANGE_TYPES:
            errors["change_type"] = [f"Must be one of: {', '.join(CHANGE_TYPES)}."]
        if "risk" in values and values["risk"] not in RISKS:
            errors["risk"] = [f"Must be one of: {', '.join(RISKS)}."]
        for name in ("planned_start", "planned_end"):
            moment = values.get(name)
            if moment is not None and not (isinstance(moment, datetime) and storable_moment(moment)):
                errors[name] = [f"Must be a date-time with a time zone, between {EARLIEST.date()} and "
                                f"{LATEST.date()}."]
    else:
        for name in ("change_type", "risk", "planned_start", "planned_end"):
            if values.get(name) is not None:
                errors[name] = ["Only changes have this field."]
    start, end = values.get("planned_start"), values.get("planned_end")
    readable = "planned_start" not in errors and "planned_end" not in errors
    if readable and isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        errors["planned_end"] = ["Must be after planned_start."]
    return errors
