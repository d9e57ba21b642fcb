"""Values the databases cannot store: bad text, and numbers no JSON column holds.

JSON lets a client send NUL characters and unpaired UTF-16 surrogates (``"\\u0000"``,
``"\\ud800"``); PostgreSQL refuses the first in text and JSONB, and no UTF-8 encoder takes
the second. Python's JSON also has ``NaN`` and ``Infinity``, which PostgreSQL's JSON types
refuse, and integers of any length (hub.sdk.safe_json marks the ones it will not convert).

The API refuses such input with a field-level 422; what sources send (webhooks, mail,
alarms) is kept, cleaned: each offending character replaced by U+FFFD, each such number
kept as its text (``"NaN"``, ``"-Infinity"``, the digits), because nothing accepted may be
lost, and so that SQLite and PostgreSQL store the same thing.

Plain functions of values, so they live in the SDK: a connector's page checks what it is
sent (``first_unstorable``) exactly as the API and the pipeline do.
"""

from __future__ import annotations

import math
from typing import Any

from hub.sdk.safe_json import MAX_INT_DIGITS, NumberText

REPLACEMENT = "\ufffd"
TEXT_PROBLEM = "Text may not contain NUL characters or unpaired surrogates."
NUMBER_PROBLEM = (f"Numbers must be finite (JSON has no NaN or Infinity) and have at most {MAX_INT_DIGITS} "
                  "digits.")
_INT_BOUND = 10**MAX_INT_DIGITS


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_number(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and not -_INT_BOUND < value < _INT_BOUND


def _problem_of(value: Any) -> str | None:
    if isinstance(value, NumberText) or _bad_number(value):
        return NUMBER_PROBLEM
    if isinstance(value, str) and _bad_text(value):
        return TEXT_PROBLEM
    return None


def unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """(path, what is wrong) of the first value (or key) that cannot be stored, or None."""
    problem = _problem_of(value)
    if problem:
        return path or "(value)", problem
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _bad_text(key):
                return where, TEXT_PROBLEM
            found = unstorable(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable(item, f"{path}[{index}]")
            if found:
                return found
    return None


def first_unstorable(value: Any, path: str = "") -> str | None:
    """The path of the first value (or key) that cannot be stored, or None."""
    found = unstorable(value, path)
    return found[0] if found else None


def storable(value: Any) -> Any:
    """``value`` with every unstorable character replaced by U+FFFD and every unstorable
    number turned into its text (the same object when clean)."""
    if unstorable(value) is None:
        return value
    return _storable(value)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, float | int) and _bad_number(value):
        return _number_text(value)
    if isinstance(value, dict):
        return {(_clean(key) if isinstance(key, str) else key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _number_text(value: float | int) -> str:
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    try:
        return str(value)
    except ValueError:  # beyond the interpreter's conversion limit: keep what can be said
        return f"{'-' if value < 0 else ''}(an integer of {value.bit_length()} bits)"


def _clean(text: str) -> str:
    # str() turns a NumberText into plain text, as it reads back from the database.
    text = str(text).replace("\x00", REPLACEMENT)
    if text.isascii():
        return text
    return "".join(REPLACEMENT if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
