"""The webhook connector end to end: an admin adds an instance, a sender posts signed events."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from connectors.webhook.signing import sign

SECRET = "s3cret-of-the-monitoring-tool"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def instance(api: Any) -> dict[str, Any]:
    response = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "monitoring", "name": "Monitoring alerts", "enabled": True,
        "config": {"secret": SECRET, "idempotency_field": "id",
                   "mapping": {"title": "summary", "description": "details", "external_id": "id",
                               "impact": {"path": "severity", "map": {"critical": "high", "warning": "medium"},
                                          "default": "low"}}}})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def post(app: Any, body: Any, *, secret: str = SECRET, timestamp: int | None = None, headers: dict | None = None,
         slug: str = "monitoring") -> Any:
    raw = json.dumps(body).encode()
    stamp, signature = sign(secret, raw, timestamp)
    all_headers = {"X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json",
                   **(headers or {})}
    return app.test_client().post(f"/api/v1/hooks/{slug}", data=raw, headers=all_headers)


def test_instance_is_shown_with_its_secret_masked(api: Any, instance: dict[str, Any]) -> None:
    assert instance["config"]["secret"] == "********"
    assert SECRET not in json.dumps(api.get("/api/v1/admin/instances").json)
    assert instance["webhook_url"] == "/api/v1/hooks/monitoring"


def test_signed_post_opens_a_ticket(app: Any, api: Any, instance: dict[str, Any]) -> None:
    response = post(app, {"id": "alert-1", "summary": "Disk full on db-1", "details": "97 %", "severity": "critical"})
    assert response.status_code == 201, response.json
    assert response.json["ticket"] == "INC-000001" and response.json["action"] == "created"
    assert response.headers["Location"] == "/api/v1/incidents/INC-000001"
    ticket = api.get("/api/v1/incidents/INC-000001").json
    assert (ticket["title"], ticket["impact"], ticket["source"]) == ("Disk full on db-1", "high", "webhook")
    trail = api.get("/api/v1/incidents/INC-000001/audit").json
    assert trail[0]["origin"] == "connector:monitoring"


def test_redelivery_is_a_duplicate_not_a_second_ticket(app: Any, api: Any, instance: dict[str, Any]) -> None:
    body = {"id": "alert-2", "summary": "Printer jammed"}
    first, second = post(app, body), post(app, body)
    assert first.status_code == 201
    assert second.status_code == 200 and second.json["duplicate"] is True
    assert second.json["ticket"] == first.json["ticket"]
    assert len(api.get("/api/v1/incidents").json["items"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret": "wrong-secret-but-long-enough"}, "Bad signature"),
        ({"timestamp": int(time.time()) - 3600}, "away from the hub's clock"),
        ({"headers": {"X-Hub-Signature-256": ""}}, "Sign the request"),
        ({"headers": {"X-Hub-Timestamp": "yesterday"}}, "Unix time"),
    ],
)
def test_bad_signatures_are_401_with_a_reason(app: Any, api: Any, instance: dict[str, Any], kwargs: dict,
                                              reason: str) -> None:
    response = post(app, {"id": "x", "summary": "y"}, **kwargs)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert reason in response.json["detail"]
    assert api.get("/api/v1/admin/events").json == []


def test_a_replayed_signature_for_another_event_is_401(app: Any, api: Any, instance: dict[str, Any]) -> None:
    """An attacker reuses a captured signature and timestamp with a new Idempotency-Key."""
    api.patch("/api/v1/admin/instances/monitoring", json={"config": {"secret": SECRET}})  # key from the header
    raw = json.dumps({"title": "Captured"}).encode()
    stamp, signature = sign(SECRET, raw)
    headers = {"X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    client = app.test_client()
    first = client.post("/api/v1/hooks/monitoring", data=raw, headers={**headers, "Idempotency-Key": "a"})
    assert first.status_code == 201
    again = client.post("/api/v1/hooks/monitoring", data=raw, headers={**headers, "Idempotency-Key": "a"})
    assert again.status_code == 200 and again.json["duplicate"]
    replay = client.post("/api/v1/hooks/monitoring", data=raw, headers={**headers, "Idempotency-Key": "b"})
    assert replay.status_code == 401
    assert "Replayed" in replay.json["detail"]


def test_token_auth(app: Any, api: Any) -> None:
    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "shop", "enabled": True,
                                              "config": {"auth": "token", "secret": "token-of-the-shop-system"}})
    client = app.test_client()
    ok = client.post("/api/v1/hooks/shop", json={"title": "Order 88213 damaged"},
                     headers={"Authorization": "Bearer token-of-the-shop-system", "Idempotency-Key": "o-1"})
    assert ok.status_code == 201
    bad = client.post("/api/v1/hooks/shop", json={"title": "x"}, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_unmappable_events_are_quarantined_with_the_reason_and_replayable(app: Any, api: Any,
                                                                          instance: dict[str, Any]) -> None:
    response = post(app, {"id": "alert-3", "details": "no summary here"})
    assert response.status_code == 202
    assert response.json["status"] == "quarantined"
    assert "no title" in response.json["reason"]
    quarantined = api.get("/api/v1/admin/events?status=quarantined").json
    assert [event["id"] for event in quarantined] == [response.json["event_id"]]
    assert quarantined[0]["payload"] == {"id": "alert-3", "details": "no summary here"}
    assert api.get("/api/v1/admin/instances/monitoring").json["quarantined_events"] == 1
    # The admin fixes the mapping (a default title), then replays the stored event.
    config = {"secret": SECRET, "idempotency_field": "id",
              "mapping": {"title": {"path": "summary", "default": "Alert without summary"}, "description": "details"}}
    assert api.patch("/api/v1/admin/instances/monitoring", json={"config": config}).status_code == 200
    replayed = api.post(f"/api/v1/admin/events/{response.json['event_id']}/replay")
    assert replayed.status_code == 200, replayed.json
    assert replayed.json["status"] == "applied" and replayed.json["ticket"] == "INC-000001"
    assert api.post(f"/api/v1/admin/events/{response.json['event_id']}/replay").status_code == 409


def test_bad_json_and_unknown_instances(app: Any, api: Any, instance: dict[str, Any]) -> None:
    raw = b"{not json"
    stamp, signature = sign(SECRET, raw)
    response = app.test_client().post("/api/v1/hooks/monitoring", data=raw, headers={
        "X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature})
    assert response.status_code == 422 and "not JSON" in response.json["detail"]
    assert post(app, {"id": "1", "summary": "x"}, slug="nothing").status_code == 404
    api.patch("/api/v1/admin/instances/monitoring", json={"enabled": False})
    assert post(app, {"id": "1", "summary": "x"}).status_code == 404


def test_bad_config_answers_field_errors(api: Any) -> None:
    response = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "bad", "config": {"secret": "short", "auth": "magic", "colour": 1,
                                                          "mapping": {"title": "", "nonsense": "x"}}})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert {"config.secret", "config.auth", "config.colour"} <= set(errors)
    # Nested errors keep their place (config.mapping.nonsense.key), so a form shows each by its input.
    assert any(name.startswith("config.mapping.") for name in errors), errors
    unknown = api.post("/api/v1/admin/instances", json={"connector": "nope", "slug": "x"})
    assert unknown.status_code == 404 and "No connector 'nope'" in unknown.json["detail"]


def test_dedup_key_counts_occurrences(app: Any, api: Any) -> None:
    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "alarms", "enabled": True, "config": {
        "secret": SECRET, "dedup_key": "{host}/{check}", "mapping": {"title": "text"}}})
    refs = set()
    for n in range(5):
        response = post(app, {"host": "db-1", "check": "disk", "text": f"Disk {90 + n} %"}, slug="alarms")
        assert response.status_code in (200, 201)
        refs.add(response.json["ticket"])
    assert refs == {"INC-000001"}
    ticket = api.get("/api/v1/incidents/INC-000001").json
    assert ticket["occurrence_count"] == 5
    events = api.get("/api/v1/admin/events?instance=alarms").json
    assert events[0]["action"] == "occurrence" and "same correlation key 'db-1/disk'" in events[0]["reason"]


def test_bulk_ndjson_is_stored_at_once_and_read_by_workers(app: Any, api: Any, app_config: dict) -> None:
    from tests.support.jobs import drain
    from tests.support.services import need_redis

    app.extensions["hub"].settings["QUEUE_PREFIX"] = f"bulk{id(app)}"
    need_redis()
    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "bulk", "enabled": True, "config": {
        "auth": "token", "secret": "bulk-token-1234567890", "idempotency_field": "id"}})
    # The last line repeats the sixth (keys in another order): a duplicate, not a conflict.
    lines = [json.dumps({"id": n, "title": f"Bulk {n}"}) for n in range(300)] + ['{"title": "Bulk 5", "id": 5}']
    response = app.test_client().post("/api/v1/hooks/bulk/bulk", data="\n".join(lines),
                                      headers={"X-Hub-Token": "bulk-token-1234567890",
                                               "Content-Type": "application/x-ndjson"})
    assert response.status_code == 202, response.json
    assert (response.json["accepted"], response.json["duplicates"]) == (300, 1)
    assert api.get("/api/v1/admin/events?status=received&limit=500").json.__len__() == 300
    drain(app, until=lambda: len(api.get("/api/v1/admin/events?status=received").json) == 0)
    assert len(api.get("/api/v1/incidents?limit=200").json["items"]) == 200
    again = app.test_client().post("/api/v1/hooks/bulk/bulk", data="\n".join(lines[:10]),
                                   headers={"X-Hub-Token": "bulk-token-1234567890",
                                            "Content-Type": "application/x-ndjson"})
    assert again.json["accepted"] == 0 and again.json["duplicates"] == 10
    bad = app.test_client().post("/api/v1/hooks/bulk/bulk", data='{"id": 1}\nnot json',
                                 headers={"X-Hub-Token": "bulk-token-1234567890",
                                          "Content-Type": "application/x-ndjson"})
    assert bad.status_code == 422 and "Line 2 is not JSON" in bad.json["detail"]


def test_a_line_change_request_names_its_targets_and_gets_one_task_each(app: Any, api: Any) -> None:
    """Issue 22 point 6: an MES posting a line change for several lines (its own field names,
    mapped) makes one change with a task per line; an item is found by key or name."""
    for key, name, parent in (("plant-b", "Plant B", None), ("plant-b/l1", "Line 1", "plant-b"),
                              ("plant-b/l2", "Line 2", "plant-b")):
        assert api.post("/api/v1/configuration-items", json={
            "key": key, "name": name, "kind": "line" if parent else "site", "parent": parent}).status_code == 201
    made = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "mes", "enabled": True, "config": {
            "secret": SECRET, "kind": "change", "idempotency_field": "requestId",
            "mapping": {"title": "what", "targets": "lines", "external_id": "requestId",
                        "change_type": {"path": "type", "default": "normal"}}}})
    assert made.status_code == 201, made.json
    response = post(app, {"requestId": "LC-7", "what": "Switch to 0.33 l bottles", "lines": ["plant-b/l1", "Line 2"]},
                    slug="mes")
    assert response.status_code == 201, response.json
    ref = response.json["ticket"]
    assert ref.startswith("CHG-")
    tasks = api.get(f"/api/v1/changes/{ref}/tasks").json
    assert [(t["position"], t["ci"], t["title"], t["state"]) for t in tasks["tasks"]] == [
        (1, "plant-b/l1", "Switch to 0.33 l bottles", "open"), (2, "plant-b/l2", "Switch to 0.33 l bottles", "open")]
    trail = api.get(f"/api/v1/changes/{ref}/audit").json
    assert [e["action"] for e in trail][:2] == ["created", "tasks_added"] and trail[1]["origin"] == "connector:mes"
    one = post(app, {"requestId": "LC-8", "what": "New labels", "lines": "plant-b/l2"}, slug="mes")
    assert api.get(f"/api/v1/changes/{one.json['ticket']}/tasks").json["progress"]["total"] == 1
    bad = post(app, {"requestId": "LC-9", "what": "x", "lines": [["nested"]]}, slug="mes")
    assert bad.status_code == 202 and "targets must be a list of text" in bad.json["reason"]

    # An incident's post may carry a field of that name meaning something else: it is not read.
    instance = api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "alerts", "enabled": True,
                                                          "config": {"secret": SECRET}})
    assert instance.status_code == 201, instance.json
    alert = post(app, {"id": "a-1", "title": "Scrape failed", "targets": [{"host": "db-1"}]}, slug="alerts")
    assert alert.status_code == 201 and alert.json["ticket"].startswith("INC-"), alert.json


def test_a_line_change_request_sent_again_with_more_lines_adds_their_tasks(app: Any, api: Any) -> None:
    """The MES sends a request again (a new message, the same request id) naming another line:
    the change gets a task for it, the lines it had keep theirs; a closed change keeps its tasks."""
    for key, name, parent in (("plant-c", "Plant C", None), ("plant-c/l1", "Line 1", "plant-c"),
                              ("plant-c/l2", "Line 2", "plant-c"), ("plant-c/l3", "Line 3", "plant-c")):
        assert api.post("/api/v1/configuration-items", json={
            "key": key, "name": name, "kind": "line" if parent else "site", "parent": parent}).status_code == 201
    assert api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "mes", "enabled": True, "config": {
            "secret": SECRET, "kind": "change", "idempotency_field": "messageId",
            "mapping": {"title": "what", "targets": "lines", "external_id": "requestId",
                        "change_type": {"path": "type", "default": "normal"}}}}).status_code == 201

    def send(message: str, lines: list[str]) -> Any:
        return post(app, {"messageId": message, "requestId": "LC-70", "what": "New labels", "lines": lines},
                    slug="mes")

    first = send("m-1", ["plant-c/l1"])
    assert first.status_code == 201, first.json
    ref = first.json["ticket"]
    again = send("m-2", ["Line 1", "plant-c/l2", "plant-c/l3"])
    assert again.status_code == 200 and again.json["ticket"] == ref, again.json
    tasks = api.get(f"/api/v1/changes/{ref}/tasks").json["tasks"]
    assert [(t["position"], t["ci"]) for t in tasks] == [(1, "plant-c/l1"), (2, "plant-c/l2"), (3, "plant-c/l3")]
    for task in tasks:
        done = api.patch(f"/api/v1/changes/{ref}/tasks/{task['id']}", json={"state": "done"})
        assert done.status_code == 200, done.json
    for state in ("submitted", "cancelled"):
        assert api.post(f"/api/v1/changes/{ref}/transitions", json={"to": state}).status_code == 200
    late = send("m-3", ["plant-c/l1", "Line 4"])
    assert late.status_code == 200 and late.json["ticket"] == ref, late.json
    assert len(api.get(f"/api/v1/changes/{ref}/tasks").json["tasks"]) == 3
