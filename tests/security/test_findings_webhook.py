"""Webhook findings of ../shared/findings/security.md: D5 (replay with a non-breaking space),
D6 (a reused key with another body), D7 (deep JSON, huge integers), D8 (NaN and Infinity),
D10 (an oversized timestamp) and D12 (javascript: URLs as links). Each answers as it should,
on SQLite and on PostgreSQL (``make test-services``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.webhook.signing import sign
from hub.models import ExternalLink, InboundEvent, Ticket

SECRET = "0123456789abcdef0123"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def wh1(api: Any) -> None:
    response = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "wh1", "name": "Monitoring", "enabled": True, "config": {"secret": SECRET}})
    assert response.status_code == 201, response.json


def signed_post(app: Any, raw: bytes, *, key: str | None = None, signature_suffix: str = "",
                content_type: str = "application/json", path: str = "/api/v1/hooks/wh1",
                stamp: str | None = None, signed: tuple[str, str] | None = None) -> Any:
    """Post ``raw`` signed now, or with a captured (timestamp, signature) pair."""
    timestamp, signature = signed or sign(SECRET, raw)
    headers = {"Content-Type": content_type, "X-Hub-Timestamp": stamp or timestamp,
               "X-Hub-Signature-256": signature + signature_suffix}
    if key:
        headers["Idempotency-Key"] = key
    return app.test_client().post(path, data=raw, headers=headers)


def count(runtime: Any, model: Any) -> int:
    with runtime.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- D5 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["\xa0", " ", "\t", "\u2003"])
def test_d5_a_captured_request_cannot_be_replayed_with_a_padded_signature(app: Any, runtime: Any, wh1: None,
                                                                           suffix: str) -> None:
    raw = b'{"title":"captured"}'
    captured = sign(SECRET, raw)
    assert signed_post(app, raw, key="cap-1", signed=captured).status_code == 201
    assert signed_post(app, raw, key="cap-2", signed=captured).status_code == 401
    replay = signed_post(app, raw, key="cap-2", signature_suffix=suffix, signed=captured)
    assert replay.status_code == 401, replay.json
    assert "Replayed" in replay.json["detail"]
    assert count(runtime, Ticket) == 1


def test_d5_the_same_signed_request_again_is_still_a_harmless_duplicate(app: Any, wh1: None) -> None:
    raw = b'{"title":"retried"}'
    captured = sign(SECRET, raw)
    first = signed_post(app, raw, key="r-1", signed=captured)
    again = signed_post(app, raw, key="r-1", signature_suffix=" ", signed=captured)
    assert first.status_code == 201 and again.status_code == 200 and again.json["duplicate"] is True


def test_d5_keys_differing_only_past_255_characters_are_not_the_same_event(app: Any, runtime: Any,
                                                                            wh1: None) -> None:
    raw = b'{"title":"long keys"}'
    captured = sign(SECRET, raw)
    assert signed_post(app, raw, key="k" * 300 + "1", signed=captured).status_code == 201
    assert signed_post(app, raw, key="k" * 300 + "2", signed=captured).status_code == 401
    assert count(runtime, Ticket) == 1


# -- D6 ----------------------------------------------------------------------------------


def test_d6_the_same_key_with_another_body_is_a_409_and_nothing_is_dropped_silently(app: Any, runtime: Any,
                                                                                    wh1: None) -> None:
    assert signed_post(app, b'{"title":"first"}', key="k1").status_code == 201
    second = signed_post(app, b'{"title":"second"}', key="k1")
    assert second.status_code == 409, second.json
    assert second.headers["Content-Type"] == "application/problem+json"
    assert "header:k1" in second.json["detail"] and "other content" in second.json["detail"]
    assert second.json["idempotency_keys"] == ["header:k1"]
    assert count(runtime, InboundEvent) == 1 and count(runtime, Ticket) == 1
    # An exact retry (even with other spacing and key order) is still the duplicate success.
    retry = signed_post(app, b'{ "title" : "first" }', key="k1")
    assert retry.status_code == 200 and retry.json["duplicate"] is True and retry.json["ticket"] == "INC-000001"


def test_d6_an_exact_retry_with_numbers_jsonb_rewrites_is_still_a_duplicate(app: Any, wh1: None) -> None:
    """PostgreSQL's JSONB gives 1.5e300 back as 301 digits and 1.0 as 1.0: numbers compare as numbers."""
    raw = b'{"title":"floats","big":1.5e300,"one":1.0,"tiny":5e-324,"neg":-0.0,"n":NaN}'
    assert signed_post(app, raw, key="f1").status_code == 201
    again = signed_post(app, raw, key="f1")
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert signed_post(app, raw.replace(b"1.5e300", b"1.6e300"), key="f1").status_code == 409
    assert signed_post(app, raw.replace(b"1.0,", b"true,"), key="f1").status_code == 409


def test_d6_a_reused_key_in_a_list_of_events_is_a_409(app: Any, runtime: Any, wh1: None) -> None:
    assert signed_post(app, json.dumps([{"title": "a"}, {"title": "b"}]).encode(), key="batch").status_code == 201
    changed = signed_post(app, json.dumps([{"title": "a"}, {"title": "c"}]).encode(), key="batch")
    assert changed.status_code == 409 and changed.json["idempotency_keys"] == ["header:batch#1"]
    assert count(runtime, InboundEvent) == 2


def test_d6_the_id_field_reused_with_another_body_is_a_409(app: Any, api: Any, runtime: Any) -> None:
    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "byid", "enabled": True, "config": {
        "auth": "token", "secret": SECRET, "idempotency_field": "id"}})
    client = app.test_client()
    post = lambda body: client.post("/api/v1/hooks/byid", json=body, headers={"X-Hub-Token": SECRET})  # noqa: E731
    assert post({"id": "a-1", "title": "Pump 3"}).status_code == 201
    assert post({"id": "a-1", "title": "Pump 4"}).status_code == 409
    assert post({"title": "Pump 3", "id": "a-1"}).status_code == 200


def test_d6_bulk_refuses_a_reused_key_with_another_body_whole(app: Any, api: Any, runtime: Any) -> None:
    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "bulk", "enabled": True, "config": {
        "auth": "token", "secret": SECRET, "idempotency_field": "id"}})

    def bulk(lines: list[str]) -> Any:
        return app.test_client().post("/api/v1/hooks/bulk/bulk", data="\n".join(lines), headers={
            "X-Hub-Token": SECRET, "Content-Type": "application/x-ndjson"})

    runtime.settings["QUEUE_PREFIX"] = f"d6bulk{id(app)}"
    from tests.support.services import need_redis

    need_redis()
    first = bulk(['{"id": 1, "title": "one"}', '{"id": 2, "title": "two"}'])
    assert first.status_code == 202 and first.json["accepted"] == 2
    within = bulk(['{"id": 3, "title": "three"}', '{"id": 3, "title": "THREE"}'])
    assert within.status_code == 409 and within.json["idempotency_keys"] == ["field:3"]
    against_stored = bulk(['{"id": 4, "title": "four"}', '{"id": 2, "title": "deux"}'])
    assert against_stored.status_code == 409 and against_stored.json["idempotency_keys"] == ["field:2"]
    assert count(runtime, InboundEvent) == 2  # nothing of the refused batches was stored
    repeat = bulk(['{"title": "two", "id": 2}', '{"id": 5, "title": "five"}'])
    assert repeat.status_code == 202 and (repeat.json["accepted"], repeat.json["duplicates"]) == (1, 1)


# -- D7 ----------------------------------------------------------------------------------


def test_d7_a_signed_deeply_nested_body_is_a_422_not_a_500(app: Any, runtime: Any, wh1: None) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    response = signed_post(app, deep)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "nested deeper than" in response.json["detail"]
    modest = json.dumps({"title": "deep but fine", "x": json.loads("[" * 60 + "]" * 60)}).encode()
    assert signed_post(app, modest).status_code == 201


def test_d7_deep_lines_in_ndjson_are_refused_naming_the_line(app: Any, wh1: None) -> None:
    raw = b'{"title":"ok"}\n' + b'{"a":' * 5000 + b"1" + b"}" * 5000
    response = signed_post(app, raw, content_type="application/x-ndjson", path="/api/v1/hooks/wh1/bulk")
    assert response.status_code == 422 and "Line 2" in response.json["detail"]


def test_d7_a_5000_digit_integer_is_kept_as_text(app: Any, runtime: Any, wh1: None) -> None:
    digits = "9" * 5000
    response = signed_post(app, f'{{"title":"big","n":{digits}}}'.encode())
    assert response.status_code == 201, response.json
    with runtime.db.reading() as session:
        assert session.scalar(select(InboundEvent.payload))["n"] == digits


# -- D8 ----------------------------------------------------------------------------------


def test_d8_nan_and_infinity_from_a_source_are_kept_as_text_on_every_database(app: Any, runtime: Any,
                                                                               wh1: None) -> None:
    raw = b'{"title":"nan","v":NaN,"w":-Infinity,"x":1e999,"y":[Infinity]}'
    response = signed_post(app, raw)
    assert response.status_code == 201, response.json
    with runtime.db.reading() as session:
        payload = session.scalar(select(InboundEvent.payload))
    assert payload == {"title": "nan", "v": "NaN", "w": "-Infinity", "x": "1e999", "y": ["Infinity"]}


def test_d8_a_mapped_nan_reaches_the_ticket_as_text(app: Any, api: Any, runtime: Any) -> None:
    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "metrics", "enabled": True, "config": {
        "auth": "token", "secret": SECRET, "mapping": {"title": "name", "description": "value"}}})
    response = app.test_client().post("/api/v1/hooks/metrics", data=b'{"name":"Pressure","value":NaN}',
                                      headers={"X-Hub-Token": SECRET, "Content-Type": "application/json"})
    assert response.status_code == 201, response.json
    assert api.get(f"/api/v1/incidents/{response.json['ticket']}").json["description"] == "NaN"


# -- D10 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["9" * 400, "9" * 5000, "1" + "0" * 12])
def test_d10_an_oversized_timestamp_is_a_401(app: Any, wh1: None, stamp: str) -> None:
    response = signed_post(app, b"{}", stamp=stamp)
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    assert "Unix time" in response.json["detail"]


# -- D12 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "JavaScript:alert(1)", "data:text/html,x",
                                 " javascript:alert(1)", "java\tscript:alert(1)", "http:alert(1)", "//evil.example/"])
def test_d12_only_http_urls_from_sources_become_links(app: Any, runtime: Any, wh1: None, url: str) -> None:
    body = json.dumps({"title": "link", "id": "ext-1", "external_url": url}).encode()
    assert signed_post(app, body).status_code == 201
    with runtime.db.reading() as session:
        link = session.scalar(select(ExternalLink))
    assert link is not None and link.external_id == "ext-1" and link.url is None


def test_d12_an_https_url_stays_a_link(app: Any, runtime: Any, wh1: None) -> None:
    body = json.dumps({"title": "link", "id": "ext-2", "external_url": "https://monitor.example/alerts/2"}).encode()
    assert signed_post(app, body).status_code == 201
    with runtime.db.reading() as session:
        assert session.scalar(select(ExternalLink.url)) == "https://monitor.example/alerts/2"


def test_d12_a_stored_javascript_url_is_shown_as_text_not_as_a_link(app: Any, runtime: Any, wh1: None) -> None:
    """Links stored before the fix (or written by any other path) are checked again on the page."""
    from sqlalchemy import update

    from tests.hub.ui.conftest import Browser, add_user

    body = json.dumps({"title": "old link", "id": "ext-3", "external_url": "https://monitor.example/3"}).encode()
    assert signed_post(app, body).status_code == 201
    with runtime.db.transaction() as session:
        session.execute(update(ExternalLink).values(url="javascript:alert(document.domain)"))
    add_user(app, "agent1", "agent")
    page = Browser(app, "agent1").text("/tickets/INC-000001")
    assert "ext-3" in page and "javascript:" not in page
