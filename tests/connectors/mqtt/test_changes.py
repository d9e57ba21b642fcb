"""Line change requests over MQTT and HTTP, and their state published back to the line."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from tests.connectors.mqtt.conftest import (
    Publisher,
    Subscriber,
    add_instance,
    instance_config,
    prepare_session,
    sample_messages,
    wait_until,
)
from tests.support.jobs import drain
from tests.support.services import need_redis

MES_SECRET = "the-mes-shares-this-secret"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    queue_prefix = f"mqtt{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=queue_prefix, OUTBOX_BACKOFF_SECONDS=0.01,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=5)
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{queue_prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{queue_prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def change_request(prefix: str, **fields: Any) -> tuple[str, bytes]:
    ((topic, payload),) = [message for message in sample_messages("line3-shift.jsonl", prefix)
                           if message[0].endswith("/mes/change")]
    return topic, json.dumps({**json.loads(payload), **fields}).encode()


def move(api: Any, ref: str, *states: str) -> None:
    for state in states:
        extra = {"note": "Not during the night shift"} if state == "rejected" else {}
        response = api.post(f"/api/v1/changes/{ref}/transitions", json={"to": state, **extra})
        assert response.status_code == 200, response.json


def test_a_change_requested_on_a_topic_reports_each_move_back(app: Any, api: Any, broker: str, prefix: str,
                                                              publisher: Publisher, listening: Any) -> None:
    add_instance(api, "line3", instance_config(broker, prefix, change_state_topic="{topic}/state"))
    prepare_session(broker, f"{prefix}-line3-1", [f"{prefix}/#"])
    topic, payload = change_request(prefix, id="REQ-7731")
    state_topic = f"{topic}/state"
    line_system = Subscriber(broker, state_topic)
    try:
        publisher.publish([(topic, payload)])
        listener = listening("line3")
        wait_until(lambda: api.get("/api/v1/changes").json["items"], what="the change")
        (change,) = api.get("/api/v1/changes").json["items"]
        assert (change["ref"], change["status"]) == ("CHG-000001", "submitted")
        move(api, "CHG-000001", "assessment", "approved", "scheduled", "implementing", "review", "closed")
        drain(app, until=lambda: len(line_system.messages) >= 6)
        wait_until(lambda: len(line_system.messages) >= 6, what="six state messages")
        listener.stop()
    finally:
        line_system.close()
    # The hub's own subscription to its prefix saw its state messages as well; they are no requests.
    states = [(body["state"], body["outcome"], body["previous"]) for _, body, _ in line_system.messages]
    assert states == [("assessment", "assessment", "submitted"), ("approved", "approved", "assessment"),
                      ("scheduled", "scheduled", "approved"), ("implementing", "implementing", "scheduled"),
                      ("review", "implemented", "implementing"), ("closed", "closed", "review")]
    first = line_system.messages[0][1]
    assert first["request_id"] == "REQ-7731" and first["ref"] == "CHG-000001"
    assert first["title"] == "Switch line 3 to 330 ml format"
    assert first["planned_start"].startswith("2026-11-16T06:00:00")
    assert len({body["delivery"] for _, body, _ in line_system.messages}) == 6
    assert all(topic_seen == state_topic and not retained for topic_seen, _, retained in line_system.messages)


def test_a_rejected_change_is_reported_on_the_response_topic(app: Any, api: Any, broker: str, prefix: str,
                                                             listening: Any) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    add_instance(api, "line3", instance_config(broker, prefix, change_topics=[f"{prefix}/+/+/mes/change"],
                                               change_state_retain=True))
    prepare_session(broker, f"{prefix}-line3-1", [f"{prefix}/#"])
    topic, payload = change_request(prefix, id=42)
    payload = json.dumps({key: value for key, value in json.loads(payload).items() if key != "kind"}).encode()
    reply = f"{prefix}-replies/mes/42"
    host, port = broker.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hubtest-mes-{uuid.uuid4().hex[:6]}",
                         protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = reply
    client.publish(topic, payload, qos=1, properties=properties).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    listener = listening("line3")
    wait_until(lambda: api.get("/api/v1/changes").json["items"], what="the change")
    listener.stop()
    move(api, "CHG-000001", "assessment", "rejected")
    drain(app)
    # Retained: a line system that subscribes only now still learns the outcome.
    late = Subscriber(broker, reply)
    try:
        wait_until(lambda: late.messages, what="the retained state")
        (seen_topic, body, retained) = late.messages[-1]
    finally:
        late.client.publish(reply, b"", qos=1, retain=True).wait_for_publish(10)  # clear the retained message
        late.close()
    assert (seen_topic, retained) == (reply, True)
    assert (body["request_id"], body["state"], body["outcome"]) == ("42", "rejected", "rejected")


def post(app: Any, body: Any, headers: dict[str, str] | None = None, slug: str = "mes") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return app.test_client().post(f"/api/v1/hooks/{slug}", data=raw,
                                  headers={"Content-Type": "application/json", **(headers or {})})


REQUEST = {"id": "REQ-1", "title": "Clean-in-place line 4", "reason": "Allergen change-over", "site": "plant-a",
           "line": "line4", "planned_start": "2026-11-17T06:00:00Z", "planned_end": "2026-11-17T07:30:00Z",
           "requested_by": "Kim Planner", "risk": "low", "type": "standard"}


def test_an_mes_requests_changes_over_http(app: Any, api: Any, broker: str, prefix: str) -> None:
    add_instance(api, "mes", instance_config(broker, prefix, http_secret=MES_SECRET,
                                             change_state_topic="plant/{site}/{line}/changes/{ref}"))
    bearer = {"Authorization": f"Bearer {MES_SECRET}"}
    response = post(app, REQUEST, bearer)
    assert response.status_code == 201, response.json
    assert (response.json["ticket"], response.json["action"]) == ("CHG-000001", "created")
    change = api.get("/api/v1/changes/CHG-000001").json
    assert (change["title"], change["type"], change["risk"], change["status"]) == (
        "Clean-in-place line 4", "standard", "low", "submitted")
    assert (change["requester"]["name"], change["ci"]) == ("Kim Planner", "plant-a/line4")
    links = api.get("/api/v1/changes/CHG-000001").json
    assert links["planned_end"].startswith("2026-11-17T07:30:00")

    assert post(app, REQUEST, bearer).json["duplicate"] is True
    amended = post(app, {**REQUEST, "planned_end": "2026-11-17T08:00:00Z"}, bearer)
    assert (amended.status_code, amended.json["action"], amended.json["ticket"]) == (200, "updated", "CHG-000001"), \
        amended.json
    assert api.get("/api/v1/changes/CHG-000001").json["planned_end"].startswith("2026-11-17T08:00:00")
    assert len(api.get("/api/v1/changes").json["items"]) == 1

    refused = post(app, REQUEST, {"Authorization": "Bearer wrong-secret-of-16-chars"})
    assert refused.status_code == 401
    assert refused.json["detail"] == "Missing or wrong token (Authorization: Bearer <secret>)."
    unreadable = post(app, b"{not json", bearer)
    assert unreadable.status_code == 422 and unreadable.json["detail"].startswith("The body is not JSON")
    bad = post(app, {"id": "REQ-2", "planned_start": "soon", "risk": "extreme"}, bearer)
    assert bad.status_code == 202
    assert bad.json["status"] == "quarantined"
    assert bad.json["reason"] == ("Not a change request this instance can read: title is missing; planned_start "
                                  "'soon' is not an ISO 8601 time (e.g. 2026-11-14T21:02:11Z); risk 'extreme' is "
                                  "not one of low, medium, high.")
    backwards = post(app, {**REQUEST, "id": "REQ-3", "planned_end": "2026-11-17T05:00:00Z"}, bearer)
    assert backwards.json["reason"].endswith("planned_end must be after planned_start.")


def test_http_intake_can_demand_signatures_and_is_off_without_a_secret(app: Any, api: Any, broker: str,
                                                                       prefix: str) -> None:
    add_instance(api, "mes", instance_config(broker, prefix, http_secret=MES_SECRET, http_auth="hmac"))
    add_instance(api, "quiet", instance_config(broker, prefix))
    raw = json.dumps(REQUEST).encode()
    stamp = str(int(time.time()))
    signature = "sha256=" + hmac.new(MES_SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    signed = post(app, raw, {"X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature})
    assert signed.status_code == 201, signed.json
    forged = post(app, raw, {"X-Hub-Timestamp": stamp, "X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert (forged.status_code, forged.json["detail"]) == (401, "Bad signature.")
    stale = str(int(time.time()) - 3600)
    old = "sha256=" + hmac.new(MES_SECRET.encode(), stale.encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert post(app, raw, {"X-Hub-Timestamp": stale, "X-Hub-Signature-256": old}).status_code == 401
    off = post(app, REQUEST, {"Authorization": f"Bearer {MES_SECRET}"}, slug="quiet")
    assert (off.status_code, off.json["detail"]) == (401, "HTTP intake is off for this instance: set its "
                                                           "http_secret.")
    assert api.get("/api/v1/admin/instances/mes").json["config"]["http_secret"] == "********"


def test_an_mes_line_change_request_for_many_lines_makes_one_task_per_line(app: Any, api: Any, broker: str,
                                                                          prefix: str) -> None:
    """Issue 22 point 6: a request naming its target lines makes one change with a task per line."""
    for key, name, kind, parent in (("plant-a", "Plant A", "site", None),
                                    ("plant-a/line4", "Line 4", "line", "plant-a"),
                                    ("plant-a/line5", "Line 5", "line", "plant-a")):
        assert api.post("/api/v1/configuration-items", json={"key": key, "name": name, "kind": kind,
                                                              "parent": parent}).status_code == 201
    add_instance(api, "mes", instance_config(broker, prefix, http_secret=MES_SECRET))
    bearer = {"Authorization": f"Bearer {MES_SECRET}"}
    request = {**REQUEST, "id": "REQ-9", "targets": ["plant-a/line4", "Line 5", "Packing hall 2"]}
    response = post(app, request, bearer)
    assert response.status_code == 201, response.json
    tasks = api.get(f"/api/v1/changes/{response.json['ticket']}/tasks").json
    assert [(t["target"], t["ci"]) for t in tasks["tasks"]] == [
        ("plant-a/line4", "plant-a/line4"), ("plant-a/line5", "plant-a/line5"), ("Packing hall 2", None)]
    assert tasks["progress"]["summary"] == "0 of 3 done"
    # A repeat of the request (a new window) updates the change and adds no tasks.
    again = post(app, {**request, "planned_end": "2026-11-17T08:00:00Z"}, bearer)
    assert again.json["action"] == "updated"
    assert api.get(f"/api/v1/changes/{response.json['ticket']}/tasks").json["progress"]["total"] == 3
    bad = post(app, {**REQUEST, "id": "REQ-10", "targets": [{"line": 4}]}, bearer)
    assert bad.status_code == 202 and "targets must be a list of text" in bad.json["reason"]
