"""The builder's inputs: a field definition read from a posted form, and schema errors as people read them."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: What each input of the field form is called on the page (and in error messages).
FIELD_LABELS = {"label": "Label", "name": "Name", "type": "Type", "required": "Required", "help": "Help text",
                "options": "Options", "max_length": "Maximum length", "maps_to": "Fills in"}
FORM_LABELS = {"title": "Form title", "intro": "Introduction", "kind": "Ticket kind", "fields": "Fields"}
TYPE_TITLES = {"text": "Short text", "textarea": "Long text", "email": "Email address",
               "select": "Choice list (select)", "checkbox": "Checkbox", "date": "Date", "number": "Number",
               "file": "File upload"}
TARGET_TITLES = {"title": "Ticket title", "description": "Description", "requester_name": "Requester's name",
                 "requester_email": "Requester's email", "department": "Department", "category": "Category",
                 "impact": "Impact", "urgency": "Urgency", "ci": "Configuration item",
                 "custom": "A custom field (shown in the description)"}
#: What a new form starts with: the schema wants one field that fills in the title or description.
STARTER_FIELD = {"name": "message", "label": "What happened?", "type": "textarea", "required": True, "help": "",
                 "max_length": None, "options": [], "maps_to": "description"}


def name_from_label(label: str) -> str:
    """A field name made from its label when the admin leaves the name empty ('Room number' -> 'room_number')."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    name = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:40]
    if name and not name[0].isalpha():
        name = f"f_{name}"[:40]
    return name


def spec_from_form(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The field definition an admin posted, and the mistakes the schema would word less kindly."""
    errors: dict[str, list[str]] = {}
    label = (form.get("label") or "").strip()
    if not label:
        errors["label"] = ["Give the field a label: it is what people read above the input."]
    kind = (form.get("type") or "text").strip()
    options = [line.strip() for line in (form.get("options") or "").splitlines() if line.strip()]
    return {
        "label": label,
        "name": (form.get("name") or "").strip() or name_from_label(label),
        "type": kind,
        "required": form.get("required") in ("on", "true", "1"),
        "help": (form.get("help") or "").strip(),
        # Left as typed: the schema says "Not a valid integer." and the page shows it again.
        "max_length": (form.get("max_length") or "").strip() or None,
        "options": options if kind == "select" else [],
        "maps_to": (form.get("maps_to") or "custom").strip(),
    }, errors


def split_errors(flat: dict[str, list[str]], index: int | None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Errors of the field at ``index`` keyed by its inputs, and the rest as they were."""
    own: dict[str, list[str]] = {}
    rest: dict[str, list[str]] = {}
    for key, texts in flat.items():
        parts = key.split(".")
        if index is not None and parts[:2] == ["fields", str(index)] and len(parts) > 2:
            own.setdefault(parts[2], []).extend(texts)
        else:
            rest.setdefault(key, []).extend(texts)
    return own, rest


def describe_problems(flat: dict[str, list[str]], fields: list[dict[str, Any]]) -> list[str]:
    """One sentence per problem, naming the field by its position and label."""
    out = []
    for key, texts in flat.items():
        parts = [part for part in key.split(".") if part]
        if len(parts) >= 2 and parts[0] == "fields" and parts[1].isdigit():
            position = int(parts[1])
            spec = fields[position] if position < len(fields) else {}
            where = f"Field {position + 1} ({spec.get('label') or spec.get('name') or 'unnamed'})"
            inner = [part for part in parts[2:] if not part.isdigit()]
            if inner:
                where += f", {FIELD_LABELS.get(inner[0], inner[0])}"
        elif parts:
            where = FORM_LABELS.get(parts[0], parts[0])
        else:
            where = "The form"
        out.append(f"{where}: {' '.join(texts)}")
    return out
