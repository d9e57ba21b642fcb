"""hub.ingest.event_store.same_json: what counts as the same content when a sender's key repeats."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.ingest.event_store import same_json

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text()
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12)


@given(JSON)
def test_a_value_is_the_same_as_itself_after_a_json_round_trip(value: Any) -> None:
    assert same_json(json.loads(json.dumps(value)), value)


@pytest.mark.parametrize(("stored", "sent"), [
    (int("15" + "0" * 299), 1.5e300),  # JSONB's text of 1.5e300, read back as an integer
    (1, 1.0), ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}), (0, -0.0), ("NaN", "NaN"),
])
def test_the_same(stored: Any, sent: Any) -> None:
    assert same_json(stored, sent)


@pytest.mark.parametrize(("stored", "sent"), [
    (1, True), (0, False), (None, 0), ("1", 1), ([1, 2], [2, 1]), ({"a": 1}, {"a": 1, "b": None}),
    (10**400, 1.5e300), (1.5e300, 1.6e300), ({"a": [1]}, {"a": [1, 1]}), ([], {}),
])
def test_not_the_same(stored: Any, sent: Any) -> None:
    assert not same_json(stored, sent)
