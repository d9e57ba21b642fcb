"""Text the databases cannot store: NUL characters and unpaired UTF-16 surrogates.

JSON lets a client send both (``"\\u0000"``, ``"\\ud800"``); PostgreSQL refuses the first in
text and JSONB, and no UTF-8 encoder takes the second. The API refuses such input with a
field-level 422; what sources send (webhooks, mail, alarms) is kept, with each offending
character replaced by U+FFFD, because nothing accepted may be lost.
"""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


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


def first_unstorable(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) that cannot be stored, or None."""
    if isinstance(value, str):
        return path or "(value)" if _bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _bad_text(key):
                return where
            found = first_unstorable(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_unstorable(item, f"{path}[{index}]")
            if found:
                return found
    return None


def storable(value: Any) -> Any:
    """``value`` with every unstorable character replaced by U+FFFD (the same object when clean)."""
    if first_unstorable(value) is None:
        return value
    return _storable(value)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {(_clean(key) if isinstance(key, str) else key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _clean(text: str) -> str:
    text = text.replace("\x00", REPLACEMENT)
    if text.isascii():
        return text
    return "".join(REPLACEMENT if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
