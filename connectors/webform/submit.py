"""Checking a submission against its form, the same way for the page and the JSON endpoint.

The messages are the requester's: in the language the page speaks (hub.sdk.i18n)."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hub.sdk.i18n import gettext
from hub.sdk.storable import first_unstorable

EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
DEFAULT_MAX = {"text": 500, "textarea": 10_000, "email": 320, "select": 100, "date": 10, "checkbox": 5, "number": 40}
HONEYPOT = "website"


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Checked:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)


def check(config: dict[str, Any], raw: dict[str, Any], uploads: dict[str, Upload | None]) -> Checked:
    """Each field's clean value, or a message for each field that is wrong."""
    out = Checked()
    for spec in config["fields"]:
        name, kind = spec["name"], spec["type"]
        if kind == "file":
            _check_file(config, spec, uploads.get(name), out)
        elif kind == "checkbox":
            out.values[name] = raw.get(name) in (True, "on", "true", "yes", "1")
            if spec["required"] and not out.values[name]:
                out.errors[name] = gettext("Tick this box to go on.")
        else:
            _check_text(spec, raw.get(name), out)
    return out


def _check_file(config: dict[str, Any], spec: dict[str, Any], upload: Upload | None, out: Checked) -> None:
    """An upload within the size and type limits goes with the event, base64-encoded."""
    name = spec["name"]
    if upload is None or not upload.data:
        if spec["required"]:
            out.errors[name] = gettext("Choose a file.")
        return
    if len(upload.data) > config["max_file_bytes"]:
        out.errors[name] = gettext("The file is larger than %(count)s MB.",
                                   count=config["max_file_bytes"] // 1_000_000 or 1)
    elif upload.content_type not in config["file_types"]:
        out.errors[name] = gettext("Files of type %(type)s are not accepted.",
                                   type=upload.content_type or gettext("unknown"))
    else:
        out.files.append({"field": name, "filename": upload.filename[:200] or "upload",
                          "content_type": upload.content_type, "data": base64.b64encode(upload.data).decode()})


def _check_text(spec: dict[str, Any], value: Any, out: Checked) -> None:
    """A text, email, select or date field: storable, present if required, within its limit and form."""
    name, kind = spec["name"], spec["type"]
    text = value.strip() if isinstance(value, str) else "" if value is None else None
    if text is None:
        out.errors[name] = gettext("Send text here.")
        return
    if first_unstorable(text):
        out.errors[name] = gettext("This text contains characters that cannot be stored.")
        return
    if not text:
        if spec["required"]:
            out.errors[name] = gettext("Please fill this in.")
        return
    limit = spec.get("max_length") or DEFAULT_MAX[kind]
    if len(text) > limit:
        out.errors[name] = gettext("At most %(count)s characters.", count=limit)
    elif kind == "email" and not EMAIL.match(text):
        out.errors[name] = gettext("Enter an email address like name@example.org.")
    elif kind == "select" and text not in spec["options"]:
        out.errors[name] = gettext("Choose one of the options.")
    elif kind == "date" and not _is_date(text):
        out.errors[name] = gettext("Enter a date like 2026-11-23.")
    elif kind == "number" and not _is_number(text):
        out.errors[name] = gettext("Enter a number, like 42 or 3.5.")
    else:
        out.values[name] = text


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except ValueError:
        return False


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text.replace(",", ".")))
    except ValueError:
        return False


def is_spam(raw: dict[str, Any]) -> bool:
    """The trap field is hidden from people; only robots fill it in."""
    value = raw.get(HONEYPOT)
    return bool(value.strip()) if isinstance(value, str) else bool(value)
