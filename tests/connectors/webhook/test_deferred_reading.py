"""A webhook instance that answers 202 once the post is stored and reads it in a worker."""

from __future__ import annotations

from typing import Any

import pytest
from rq import Queue

from hub.jobs.queues import queue_name
from tests.support.jobs import drain
from tests.support.plugin_fixtures import post_event, token_instance

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def secret(app: Any, api: Any) -> str:
    return token_instance(api, respond="accepted", idempotency_field="id",
                          dedup_key="{machine}/{code}")


def test_a_post_is_stored_answered_202_and_read_by_a_worker(app: Any, api: Any, secret: str) -> None:
    response = post_event(app, secret, {"id": "a-1", "title": "Filler 2 jammed", "machine": "filler-2",
                                        "code": "E17"})
    assert response.status_code == 202, response.json
    assert response.json["status"] == "received" and response.json["ticket"] is None
    assert api.get("/api/v1/incidents").json["items"] == []

    drain(app)
    items = api.get("/api/v1/incidents").json["items"]
    assert [item["title"] for item in items] == ["Filler 2 jammed"]
    event = api.get(f"/api/v1/admin/events/{response.json['event_id']}").json
    assert event["status"] == "applied" and event["action"] == "created"


def test_a_repeat_is_a_duplicate_before_and_after_reading(app: Any, api: Any, secret: str) -> None:
    body = {"id": "a-2", "title": "Door sensor fault", "machine": "door-1", "code": "S3"}
    assert post_event(app, secret, body).status_code == 202
    again = post_event(app, secret, body)
    assert again.status_code == 200 and again.json["duplicate"] is True
    drain(app)
    after = post_event(app, secret, body)
    assert after.status_code == 200 and after.json["duplicate"] and after.json["ticket"] == "INC-000001"
    assert len(api.get("/api/v1/incidents").json["items"]) == 1


def test_a_burst_wakes_one_reader_and_is_applied_in_arrival_order(app: Any, api: Any, runtime: Any,
                                                                   secret: str) -> None:
    for n in range(30):
        # Raises and clears of one alarm: applied out of order they would leave it open.
        state = "clear" if n % 2 else "raise"
        response = post_event(app, secret, {"id": f"b-{n}", "title": "Capper torque", "machine": "capper-1",
                                            "code": "T9", "state": state})
        assert response.status_code == 202
    queued = Queue(queue_name(runtime, "ingest"), connection=runtime.redis)
    assert len(queued.job_ids) == 1, "one reader serves the whole burst"

    drain(app)
    events = api.get("/api/v1/admin/events?limit=100").json
    assert {event["status"] for event in events} == {"applied"}
    assert sorted(event["id"] for event in events) == [event["id"] for event in sorted(
        events, key=lambda event: event["processed_at"])], "applied in the order they arrived"


def test_a_post_after_the_reader_finished_wakes_a_new_one(app: Any, api: Any, secret: str) -> None:
    assert post_event(app, secret, {"id": "c-1", "title": "Chiller alarm", "machine": "ch-1",
                                    "code": "H1"}).status_code == 202
    drain(app)
    assert post_event(app, secret, {"id": "c-2", "title": "Boiler alarm", "machine": "b-1",
                                    "code": "P2"}).status_code == 202
    drain(app)
    titles = sorted(item["title"] for item in api.get("/api/v1/incidents").json["items"])
    assert titles == ["Boiler alarm", "Chiller alarm"]


def test_reading_at_once_stays_the_default(app: Any, api: Any) -> None:
    secret = token_instance(api, idempotency_field="id")
    response = post_event(app, secret, {"id": "d-1", "title": "Leak in hall B"})
    assert response.status_code == 201 and response.json["ticket"] == "INC-000001"
