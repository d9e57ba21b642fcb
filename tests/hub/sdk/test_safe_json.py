"""hub.sdk.safe_json: JSON from clients and sources within limits; every refusal a ValueError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.sdk.safe_json import MAX_DEPTH, MAX_INT_DIGITS, NestedTooDeep, NumberText, nesting_exceeds, parse_json

FINITE = st.recursive(st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.text()
                      | st.floats(allow_nan=False, allow_infinity=False),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=12)


@given(FINITE)
def test_reads_what_json_reads_within_the_limits(value: Any) -> None:
    text = json.dumps(value)
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)


@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_anything_unreadable_is_a_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_json(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_deep_nesting_is_nested_too_deep(depth: int, open_: str, close: str) -> None:
    with pytest.raises(NestedTooDeep, match=f"deeper than {MAX_DEPTH} levels"):
        parse_json(open_ * depth + "1" + close * depth)


def test_nesting_up_to_the_limit_is_read_and_brackets_in_text_do_not_count() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert parse_json(json.dumps({"t": "[" * 1000})) == {"t": "[" * 1000}
    assert not nesting_exceeds([[1], {"a": [2]}], 3) and nesting_exceeds([[1], {"a": [[2]]}], 3)
    assert not nesting_exceeds("text", 0)


@pytest.mark.parametrize(("literal", "text"), [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"),
                                               ("1e999", "1e999"), ("-1E400", "-1E400"),
                                               ("9" * (MAX_INT_DIGITS + 1), "9" * (MAX_INT_DIGITS + 1)),
                                               ("-" + "9" * 5000, "-" + "9" * 5000)])
def test_numbers_no_database_stores_become_their_text(literal: str, text: str) -> None:
    value = parse_json(f'{{"v": {literal}}}')["v"]
    assert isinstance(value, NumberText) and value == text


def test_numbers_within_the_limits_stay_numbers() -> None:
    assert parse_json(f'[{"9" * MAX_INT_DIGITS}, -{"9" * MAX_INT_DIGITS}, 1.5e300, -0.0]') == [
        int("9" * MAX_INT_DIGITS), -int("9" * MAX_INT_DIGITS), 1.5e300, -0.0]
