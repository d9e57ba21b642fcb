"""Between a connector's TicketDraft and the tracker's ticket values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from hub.sdk.values import TicketDraft

#: TicketDraft fields that are ticket values of the same name.
_VALUE_FIELDS = (
    "title", "description", "impact", "urgency", "priority", "requester_name", "requester_email", "requester_account",
    "language", "department", "category", "ci", "ci_name", "ci_kind", "group", "assignee", "tags", "custom_fields",
    "change_type", "risk", "planned_start", "planned_end",
)
_DRAFT_FIELDS = {f.name for f in fields(TicketDraft)}


def draft_from_values(kind: str, values: Mapping[str, Any]) -> TicketDraft:
    known = {key: value for key, value in values.items() if key in _DRAFT_FIELDS}
    return TicketDraft(action="open", kind=kind, **known)


def values_from_draft(draft: TicketDraft) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _VALUE_FIELDS:
        value = getattr(draft, name)
        if value is None or value == [] or value == {}:
            continue
        values[name] = value
    if draft.kind != "change":
        for name in ("change_type", "risk", "planned_start", "planned_end"):
            values.pop(name, None)
    return values
