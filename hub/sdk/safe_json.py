"""JSON that clients and sources send, read with limits a hostile sender cannot push past.

Python's json module reads nesting until the interpreter's recursion limit breaks (a
RecursionError, which nothing expects), integers of up to 4,300 digits (then a bare
ValueError), and ``NaN``, ``Infinity`` and ``1e999``, which PostgreSQL's JSON types refuse.
``parse_json`` reads the same documents, except that:

- nesting deeper than ``MAX_DEPTH`` raises ``NestedTooDeep`` (a ValueError, like every
  other reason a body is unreadable);
- a non-finite number (``NaN``, ``Infinity``, ``-Infinity``, ``1e999``) or an integer of
  more than ``MAX_INT_DIGITS`` digits becomes a ``NumberText``: the text the sender wrote,
  marked as a number no database column holds.

hub.sdk.storable then decides what happens to such numbers: the API refuses them with the
field's path (422), sources keep them as text (nothing a source sends is lost).
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

MAX_DEPTH = 64
"""Objects and arrays within each other. Real events nest a handful of levels; the limit
keeps every recursive walk of a payload (cleaning, mapping, serialising) far from the
interpreter's recursion limit."""

MAX_INT_DIGITS = 100
"""More than any identifier in use (a 128-bit id has 39 digits), far less than the 4,300
digits past which Python refuses to convert."""


class NestedTooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


class NumberText(str):
    """A number JSON let the sender write but no database stores as one, kept as its text."""

    __slots__ = ()


def _integer(text: str) -> int | NumberText:
    digits = len(text) - (text[0] == "-")
    return int(text) if digits <= MAX_INT_DIGITS else NumberText(text)


def _real(text: str) -> float | NumberText:
    value = float(text)
    return value if math.isfinite(value) else NumberText(text)


_decoders = threading.local()


def _decoder() -> json.JSONDecoder:
    """One decoder per thread, built once: json.loads with hooks builds a new one on every
    call, which cost more than the hooks themselves on bulk intake (10,000 small lines);
    per thread, because the C scanner keeps state between the hooks it calls back."""
    decoder: json.JSONDecoder | None = getattr(_decoders, "decoder", None)
    if decoder is None:
        decoder = _decoders.decoder = json.JSONDecoder(parse_int=_integer, parse_float=_real,
                                                       parse_constant=NumberText)
    return decoder


def parse_json(document: str | bytes) -> Any:
    """``json.loads`` within the limits above; any unreadable document raises ValueError."""
    if isinstance(document, bytes | bytearray):
        document = document.decode(json.detect_encoding(document), "surrogatepass")
    brackets = document.count("[") + document.count("{")
    try:
        value = _decoder().decode(document)
    except RecursionError:
        raise NestedTooDeep() from None
    # Fewer brackets than the limit cannot nest deeper than it: most bodies stop here.
    if brackets > MAX_DEPTH and nesting_exceeds(value, MAX_DEPTH):
        raise NestedTooDeep()
    return value


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``limit`` deep (iteratively,
    so that the check itself never recurses)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((item, depth + 1) for item in (container.values() if isinstance(container, dict) else container)
                     if isinstance(item, dict | list))
    return False
