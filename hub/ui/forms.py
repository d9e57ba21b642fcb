"""Helpers pages share: form fields generated from a config schema, and errors as people read them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import flash

from hub.sdk.safe_json import parse_json
from hub.sdk.schema import SECRET_MASK, FieldInfo
from hub.sdk.storable import unstorable
from hub.sdk.tracker_errors import TrackerError
from hub.sdk.web import describe_error as describe_error
from hub.sdk.web import field_errors as field_errors


@dataclass
class FormField:
    """One input of a generated form: what describe() says, plus the value to show and its errors."""

    info: FieldInfo
    widget: str
    """``checkbox``, ``select``, ``number``, ``password``, ``textarea``, ``email``, ``url`` or ``text``."""
    value: str = ""
    checked: bool = False
    stored_secret: bool = False
    retype: bool = False
    """A secret on a form sent back with errors: it is never echoed, so it must be typed again."""
    errors: list[str] = field(default_factory=list)

    @property
    def input_id(self) -> str:
        return f"config-{self.info.name}"

    @property
    def hint(self) -> str:
        parts = [self.info.description]
        if self.info.type == "object":
            parts.append("JSON object.")
        elif self.info.many:
            parts.append("One entry per line.")
        if self.info.secret and self.retype and not self.stored_secret:
            parts.append("Type it again: secrets are never sent back to the browser.")
        elif self.info.secret:
            parts.append("Write-only: leave empty to keep the stored value, as long as the address and account "
                         "stay the same (change those and you enter it again)." if self.stored_secret
                         else "Write-only: it is stored encrypted and never shown again.")
        elif self.info.default not in (None, "") and self.widget != "checkbox":
            parts.append(f"Default: {self._text(self.info.default)}.")
        return " ".join(part for part in parts if part)

    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, dict):
            return json.dumps(value, indent=2, sort_keys=True)
        if isinstance(value, list | tuple) and any(isinstance(item, dict) for item in value):
            return json.dumps(list(value), indent=1, ensure_ascii=False)  # rules: one JSON list, as typed
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return "" if value is None else str(value)


def _widget(info: FieldInfo) -> str:
    if info.secret:
        return "password"
    if info.type == "boolean":
        return "checkbox"
    if info.choices:
        return "select"
    if info.type in ("integer", "number"):
        return "number"
    if info.type == "object" or info.many:
        return "textarea"
    if info.type in ("email", "url"):
        return info.type
    return "text"


def config_fields(infos: list[FieldInfo], values: dict[str, Any] | None = None,
                  errors: dict[str, list[str]] | None = None, stored_secrets: set[str] | None = None,
                  submitted: dict[str, str] | None = None) -> list[FormField]:
    """The inputs of a connector's (or plugin's) config form, filled from stored or submitted values."""
    values = values or {}
    out = []
    for info in infos:
        form_field = FormField(info=info, widget=_widget(info), stored_secret=info.name in (stored_secrets or set()),
                               errors=list((errors or {}).get(info.name, [])))
        if info.secret:
            form_field.value = ""  # write-only: never sent back to the browser
            form_field.retype = submitted is not None and bool(submitted.get(f"config.{info.name}"))
        elif submitted is not None:
            form_field.value = submitted.get(f"config.{info.name}", "")
            form_field.checked = submitted.get(f"config.{info.name}") in ("on", "true", "1")
        else:
            current = values.get(info.name, info.default)
            form_field.value = FormField._text(current)
            form_field.checked = bool(current)
        out.append(form_field)
    return out


def config_from_form(infos: list[FieldInfo], form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Turn submitted inputs into the config dict the schema loads; JSON that does not parse is an error."""
    config: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for info in infos:
        raw = form.get(f"config.{info.name}")
        if info.type == "boolean":
            config[info.name] = raw in ("on", "true", "1")
            continue
        text = (raw or "").strip() if not info.secret else (raw or "")
        if text == "" or (info.secret and text == SECRET_MASK):
            if info.secret:
                config[info.name] = None  # keep the stored secret (services treat None as "unchanged")
            continue  # left out: the schema fills its default or says it is required
        if info.type == "object":
            parsed, problem = _object_from(text)
            if problem:
                errors[info.name] = [problem]
            else:
                config[info.name] = parsed
        elif info.many and info.item_type == "object":
            parsed, problem = _object_from(text)
            if problem or not isinstance(parsed, list):
                errors[info.name] = [problem or "A JSON list ([...]) of objects."]
            else:
                config[info.name] = parsed
        elif info.many:
            config[info.name] = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            config[info.name] = text
    return config, errors


def _object_from(text: str) -> tuple[Any, str | None]:
    """A JSON input read within the limits every client input keeps (an admin's paste is
    no exception: a deeply nested one used to end in a 500); returns (value, problem)."""
    try:
        value = parse_json(text)
    except json.JSONDecodeError as exc:
        return None, f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    except ValueError as exc:  # nested too deep, or not text at all
        return None, f"Not valid JSON: {exc}."
    found = unstorable(value)
    if found:
        where, problem = found
        return None, f"Not valid here: {where}: {problem}"
    return value, None


@contextmanager
def flashing_errors(on_error: Callable[[TrackerError], None] | None = None) -> Iterator[None]:
    """Run a page action; a service's refusal becomes a flashed message instead of an error page."""
    try:
        yield
    except TrackerError as exc:
        flash(describe_error(exc), "error")
        if on_error:
            on_error(exc)


#: What a database integer holds (64 bits); a longer number from a form or query is unreadable.
_INT_LIMIT = 2**63


def parse_int(value: str | None, default: int | None = None) -> int | None:
    if value is None or value == "" or len(value) > 20:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if -_INT_LIMIT < number < _INT_LIMIT else default
