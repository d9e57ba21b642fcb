"""Text the databases cannot store: refused by the API with the field, cleaned from sources."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.sdk.storable import REPLACEMENT, first_unstorable, storable
from tests.support.plugin_fixtures import post_event, token_instance

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12)


def test_finds_nul_and_unpaired_surrogates_with_their_path() -> None:
    assert first_unstorable({"a": ["ok", "b\x00d"]}) == "a[1]"
    assert first_unstorable({"x": {"k\ud800": 1}}) == "x.k\ud800"
    assert first_unstorable({"fine": "Grüße 🚀", "n": 3}) is None


@given(JSON)
def test_storable_output_always_encodes_and_has_no_nul(value: Any) -> None:
    cleaned = storable(value)
    assert first_unstorable(cleaned) is None
    if first_unstorable(value) is None:
        assert cleaned is value


def test_cleaning_replaces_only_the_bad_characters() -> None:
    assert storable({"t": "a\x00b\udc80c"}) == {"t": f"a{REPLACEMENT}b{REPLACEMENT}c"}


@pytest.mark.parametrize("body", [{"title": "Leak\u0000"}, {"title": "ok", "custom_fields": {"room": "\ud800"}}])
def test_the_api_refuses_unstorable_text_with_the_field(api: Any, body: dict[str, Any]) -> None:
    response = api.post("/api/v1/incidents", json=body)
    assert response.status_code == 422
    assert "NUL" in str(response.json["errors"])


def test_the_api_refuses_unstorable_query_text(api: Any) -> None:
    response = api.get("/api/v1/incidents?q=pump%00")
    assert response.status_code == 422 and "query.q" in response.json["errors"]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


def test_a_source_event_with_unstorable_text_is_kept_cleaned(app: Any, api: Any) -> None:
    secret = token_instance(api, idempotency_field="id")
    response = post_event(app, secret, {"id": "n\u0000ul", "title": "Pump\u0000 3 \ud83d", "extra": {"k\u0000": 1}})
    assert response.status_code == 201, response.json
    ticket = api.get(f"/api/v1/incidents/{response.json['ticket']}").json
    assert ticket["title"] == f"Pump{REPLACEMENT} 3 {REPLACEMENT}"


def test_numbers_no_json_column_holds_are_found_and_kept_as_text() -> None:
    from hub.sdk.safe_json import NumberText
    from hub.sdk.storable import NUMBER_PROBLEM, unstorable

    value = {"a": [1, float("nan")], "b": float("-inf"), "c": 10**150, "d": NumberText("1e999"), "e": True}
    assert unstorable(value) == ("a[1]", NUMBER_PROBLEM)
    cleaned = storable(value)
    assert cleaned == {"a": [1, "NaN"], "b": "-Infinity", "c": "1" + "0" * 150, "d": "1e999", "e": True}
    assert type(cleaned["d"]) is str and first_unstorable(cleaned) is None
    assert storable({"n": 10**99, "f": 1.5}) == {"n": 10**99, "f": 1.5}
