"""Field mapping: reading values out of a source's JSON by path, with defaults and value maps.

A mapping is configured per instance, as admins write it::

    {"title": "alert.name",
     "impact": {"path": "alert.severity", "map": {"critical": "high", "warning": "medium"},
                "default": "low"},
     "external_id": "alert.id"}

A path is a dotted list of keys; a segment made of digits indexes a list
(``items.0.name``). A template fills ``{path}`` placeholders (``"{site}/{line}"``).
Nothing here evaluates code: paths and templates are data, whatever an admin types.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

MISSING: Any = object()
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_PATH_SEGMENTS = 32


class MappingError(ValueError):
    """A mapping or template is malformed, or a required value is missing."""


def split_path(path: str) -> list[str]:
    if not isinstance(path, str):
        raise MappingError("a path must be non-empty text")
    return list(_split(path))


@functools.lru_cache(maxsize=1024)
def _split(path: str) -> tuple[str, ...]:
    # An instance's mapping names the same few paths for every event it reads.
    if not path.strip():
        raise MappingError("a path must be non-empty text")
    segments = path.strip().split(".")
    if len(segments) > MAX_PATH_SEGMENTS or any(segment == "" for segment in segments):
        raise MappingError(f"not a path: {path!r}")
    return tuple(segments)


def get_path(data: Any, path: str) -> Any:
    """The value at ``path`` in nested dicts and lists, or MISSING."""
    current = data
    for segment in _split(path) if isinstance(path, str) else split_path(path):
        if isinstance(current, Mapping):
            if segment not in current:
                return MISSING
            current = current[segment]
        elif isinstance(current, list) and (segment.isascii() and segment.isdigit()):
            index = int(segment)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


def render(template: str, data: Any) -> str:
    """Fill ``{path}`` placeholders from ``data``; MappingError names a missing one."""

    def fill(match: re.Match[str]) -> str:
        value = get_path(data, match.group(1))
        if value is MISSING or value is None or value == "":
            raise MappingError(f"{{{match.group(1)}}} is missing")
        if isinstance(value, dict | list):
            raise MappingError(f"{{{match.group(1)}}} is not a single value")
        return str(value)

    return _PLACEHOLDER.sub(fill, template)


def placeholders(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def validate_spec(spec: Any) -> None:
    """Raise MappingError unless ``spec`` is a path or {path, default, map}."""
    if isinstance(spec, str):
        split_path(spec)
        return
    if not isinstance(spec, Mapping):
        raise MappingError("a mapping is a path, or an object with path, default and map")
    unknown = set(spec) - {"path", "default", "map", "template"}
    if unknown:
        raise MappingError(f"unknown keys {sorted(unknown)}")
    if "path" in spec:
        split_path(spec["path"])
    if "template" in spec and not isinstance(spec["template"], str):
        raise MappingError("template must be text")
    if "map" in spec and not isinstance(spec["map"], Mapping):
        raise MappingError("map must be an object of source value to hub value")


def apply_spec(spec: Any, data: Any) -> Any:
    """The mapped value for one field, or MISSING."""
    if isinstance(spec, str):
        return get_path(data, spec)
    value = MISSING
    if "template" in spec:
        try:
            value = render(spec["template"], data)
        except MappingError:
            value = MISSING
    elif "path" in spec:
        value = get_path(data, spec["path"])
    if value is not MISSING and "map" in spec:
        key = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        value = spec["map"].get(key, spec["map"].get("*", MISSING))
    if (value is MISSING or value is None) and "default" in spec:
        value = spec["default"]
    return value


def apply_mapping(mapping: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """Every mapped field that has a value."""
    out = {}
    for field, spec in mapping.items():
        value = apply_spec(spec, data)
        if value is not MISSING and value is not None:
            out[field] = value
    return out
