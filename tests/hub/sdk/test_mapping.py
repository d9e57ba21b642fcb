"""Field mapping by path: exact on known shapes, and never more than a MappingError on anything."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sdk.mapping import MISSING, MappingError, apply_mapping, apply_spec, get_path, render, validate_spec

PAYLOAD = {"alert": {"name": "Disk full", "severity": "critical", "labels": ["db", "prod"], "count": 3,
                     "ok": False}, "items": [{"id": 7}]}


@pytest.mark.parametrize(
    ("path", "expected"),
    [("alert.name", "Disk full"), ("alert.labels.1", "prod"), ("items.0.id", 7), ("alert.missing", MISSING),
     ("alert.labels.9", MISSING), ("alert.name.x", MISSING), ("items.x", MISSING)],
)
def test_paths(path: str, expected: Any) -> None:
    assert get_path(PAYLOAD, path) == expected


def test_specs_with_maps_defaults_and_templates() -> None:
    mapping = {
        "title": "alert.name",
        "impact": {"path": "alert.severity", "map": {"critical": "high", "warning": "medium"}, "default": "low"},
        "urgency": {"path": "alert.nothing", "default": "medium"},
        "external_id": {"template": "{alert.name}/{items.0.id}"},
        "tags": "alert.labels",
        "flag": {"path": "alert.ok", "map": {"false": "no"}},
        "count": {"path": "alert.count", "map": {"*": "many"}},
    }
    assert apply_mapping(mapping, PAYLOAD) == {"title": "Disk full", "impact": "high", "urgency": "medium",
                                               "external_id": "Disk full/7", "tags": ["db", "prod"], "flag": "no",
                                               "count": "many"}


@pytest.mark.parametrize("spec", ["", "a..b", ".a", 5, {"path": ""}, {"nope": "x"}, {"map": []}, "a." * 40])
def test_bad_specs_are_refused_with_a_reason(spec: Any) -> None:
    with pytest.raises(MappingError):
        validate_spec(spec)


def test_render_names_the_missing_placeholder() -> None:
    with pytest.raises(MappingError, match=r"\{alert\.site\} is missing"):
        render("{alert.site}/{alert.name}", PAYLOAD)
    with pytest.raises(MappingError, match="not a single value"):
        render("{alert}", PAYLOAD)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(data=json_values, path=st.text(max_size=40), template=st.text(max_size=40))
def test_nothing_but_mapping_errors_on_any_input(data: Any, path: str, template: str) -> None:
    """Admins type paths and templates; sources send anything. Neither may crash the hub."""
    with contextlib.suppress(MappingError):
        get_path(data, path)
    with contextlib.suppress(MappingError):
        render(template, data)
    try:
        validate_spec(path)
        apply_spec(path, data)
    except MappingError:
        pass
