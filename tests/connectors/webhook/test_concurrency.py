"""Concurrent duplicates over real HTTP: one ticket, every answer a success."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from connectors.webhook.signing import sign
from tests.support.live import live_server

SECRET = "s3cret-of-the-monitoring-tool"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


def test_fifty_concurrent_posts_of_one_key_make_one_ticket(app: Any, api: Any) -> None:
    assert api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "storm", "enabled": True,
        "config": {"secret": SECRET, "idempotency_field": "id"}}).status_code == 201
    raw = json.dumps({"id": "evt-42", "title": "Compressor 2 overheating"}).encode()
    stamp, signature = sign(SECRET, raw)
    headers = {"X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    with live_server(app) as url, requests.Session() as http:
        adapter = requests.adapters.HTTPAdapter(pool_connections=50, pool_maxsize=50)
        http.mount("http://", adapter)

        def send(_: int) -> requests.Response:
            return http.post(f"{url}/api/v1/hooks/storm", data=raw, headers=headers, timeout=60)

        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(send, range(50)))
    statuses = sorted(response.status_code for response in responses)
    assert all(200 <= status < 300 for status in statuses), statuses
    assert statuses.count(201) == 1
    assert {response.json()["ticket"] for response in responses} == {"INC-000001"}
    assert len(api.get("/api/v1/incidents").json["items"]) == 1
    assert len(api.get("/api/v1/admin/events").json) == 1


def test_concurrent_first_occurrences_of_a_key_make_one_ticket_with_an_exact_count(app: Any, api: Any) -> None:
    assert api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "line", "enabled": True,
        "config": {"secret": SECRET, "idempotency_field": "seq", "dedup_key": "{machine}/{code}"}}).status_code == 201
    with live_server(app) as url, requests.Session() as http:
        http.mount("http://", requests.adapters.HTTPAdapter(pool_connections=40, pool_maxsize=40))

        def send(seq: int) -> requests.Response:
            raw = json.dumps({"seq": seq, "machine": "filler-2", "code": "E101", "title": "Bottle jam"}).encode()
            stamp, signature = sign(SECRET, raw)
            return http.post(f"{url}/api/v1/hooks/line", data=raw, timeout=60, headers={
                "X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json"})

        with ThreadPoolExecutor(max_workers=40) as pool:
            responses = list(pool.map(send, range(40)))
    assert all(response.status_code in (200, 201) for response in responses), [r.text for r in responses][:3]
    tickets = api.get("/api/v1/incidents").json["items"]
    assert len(tickets) == 1
    assert tickets[0]["occurrence_count"] == 40
