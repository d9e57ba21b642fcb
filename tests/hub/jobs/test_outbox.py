"""The outbox: deliveries in order, retried with backoff, dead-lettered, replayed, never echoed."""

from __future__ import annotations

from typing import Any

from tests.hub.jobs.conftest import SECRET, add_push_instance
from tests.support.jobs import drain
from tests.support.sink import Sink


def outbox(api: Any, **query: Any) -> list[dict[str, Any]]:
    text = "&".join(f"{key}={value}" for key, value in query.items())
    response = api.get(f"/api/v1/admin/outbox?{text}")
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_a_change_is_delivered_through_the_outbox(app: Any, api: Any, sink: Sink) -> None:
    add_push_instance(api, sink)
    ref = api.post("/api/v1/incidents", json={"title": "Freezer alarm in store 12"}).json["ref"]
    (message,) = outbox(api)
    assert (message["status"], message["action"], message["lane"]) == ("pending", "create", f"sub:1:{1}")
    drain(app, until=lambda: sink.wait_for(1, timeout=0.1))
    (body,) = sink.bodies()
    assert body["event"] == "create" and body["ticket"]["ref"] == ref
    assert sink.received[0].headers["Idempotency-Key"] == message["idempotency_key"]
    assert "X-Hub-Signature-256" in sink.received[0].headers
    assert outbox(api)[0]["status"] == "delivered"


def test_deliveries_of_one_record_keep_their_order(app: Any, api: Any, sink: Sink) -> None:
    add_push_instance(api, sink)
    ref = api.post("/api/v1/incidents", json={"title": "Ordering"}).json["ref"]
    for n in range(15):
        assert api.patch(f"/api/v1/incidents/{ref}", json={"description": f"step {n}"}).status_code == 200
    drain(app, until=lambda: sink.wait_for(16, timeout=0.1))
    descriptions = [body["changes"]["description"][1] for body in sink.bodies() if body["event"] == "update"]
    assert descriptions == [f"step {n}" for n in range(15)]


def test_failures_retry_with_backoff_then_succeed(app: Any, api: Any, sink: Sink) -> None:
    add_push_instance(api, sink)
    sink.fail_next, sink.fail_status = 2, 503
    api.post("/api/v1/incidents", json={"title": "Flaky partner"})
    drain(app, until=lambda: sink.wait_for(1, timeout=0.1))
    (message,) = outbox(api)
    assert message["status"] == "delivered" and message["attempts"] == 3


def test_retry_after_is_honoured(app: Any, api: Any, runtime: Any, sink: Sink) -> None:
    add_push_instance(api, sink)
    sink.fail_next, sink.fail_status, sink.retry_after = 1, 429, "120"
    api.post("/api/v1/incidents", json={"title": "Rate limited"})
    before = runtime.now()
    drain(app, until=lambda: outbox(api)[0]["attempts"] == 1)
    (message,) = outbox(api)
    from datetime import datetime

    waited = (datetime.fromisoformat(message["next_attempt_at"]) - before).total_seconds()
    assert message["status"] == "pending" and waited >= 119, waited
    assert "retriable" in message["last_error"]


def test_dead_letters_are_listed_and_replayed(app: Any, api: Any, app_config: dict[str, Any], sink: Sink) -> None:
    add_push_instance(api, sink)
    sink.fail_next, sink.fail_status = 100, 503
    api.post("/api/v1/incidents", json={"title": "Partner down"})
    drain(app, until=lambda: outbox(api)[0]["status"] == "dead")
    (dead,) = outbox(api, status="dead")
    assert dead["attempts"] == app_config.get("OUTBOX_MAX_ATTEMPTS", 8)
    assert "HTTP 503" in dead["last_error"]
    sink.fail_next = 0
    replayed = api.post(f"/api/v1/admin/outbox/{dead['id']}/replay")
    assert replayed.status_code == 200 and replayed.json["status"] == "pending"
    drain(app, until=lambda: sink.wait_for(1, timeout=0.1))
    assert outbox(api)[0]["status"] == "delivered"
    assert api.post(f"/api/v1/admin/outbox/{dead['id']}/replay").status_code == 409


def test_a_refused_payload_is_dead_at_once(app: Any, api: Any, sink: Sink) -> None:
    add_push_instance(api, sink)
    sink.fail_next, sink.fail_status = 1, 400
    api.post("/api/v1/incidents", json={"title": "Bad payload"})
    drain(app, until=lambda: outbox(api)[0]["status"] == "dead")
    assert outbox(api)[0]["attempts"] == 1


def test_a_change_from_a_system_is_not_echoed_back_to_it(app: Any, api: Any, sink: Sink) -> None:
    add_push_instance(api, sink, scope="links")
    client = app.test_client()
    opened = client.post("/api/v1/hooks/partner", json={"id": "P-1", "title": "From the partner"},
                         headers={"X-Hub-Token": SECRET})
    assert opened.status_code == 201
    ref = opened.json["ticket"]
    assert outbox(api) == []  # the partner made it: nothing to tell the partner
    comment = client.post("/api/v1/hooks/partner", json={"id": "P-1", "action": "comment", "comment": "More info",
                                                         "title": "x"}, headers={"X-Hub-Token": "x" + SECRET[1:]})
    assert comment.status_code == 401
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "We are on it"})
    messages = outbox(api)
    assert [m["action"] for m in messages] == ["comment"]
    assert messages[0]["lane"].startswith("link:")
    drain(app, until=lambda: sink.wait_for(1, timeout=0.1))
    body = sink.bodies()[0]
    assert body["ticket"]["external_id"] == "P-1" and body["comment"]["body"] == "We are on it"


def test_with_redis_down_tickets_are_accepted_and_the_outbox_drains_later(
        app_config: dict[str, Any], sink: Sink) -> None:
    from hub import create_app
    from tests.conftest import ApiClient, make_token

    working_redis = app_config["REDIS_URL"]
    app_config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens: Redis is down
    down = create_app(app_config)
    api = ApiClient(down.test_client(), make_token(down, "admin"))
    add_push_instance(api, sink)
    refs = [api.post("/api/v1/incidents", json={"title": f"During the outage {n}"}).json["ref"] for n in range(5)]
    assert refs == [f"INC-{n:06d}" for n in range(1, 6)]
    assert [m["status"] for m in outbox(api)] == ["pending"] * 5
    assert api.get("/readyz").status_code == 503
    down.extensions["hub"].db.dispose()
    app_config["REDIS_URL"] = working_redis  # Redis is back: a worker and the scheduler pick the rows up
    back = create_app(app_config)
    drain(back, until=lambda: sink.wait_for(5, timeout=0.1))
    assert sorted(body["ticket"]["ref"] for body in sink.bodies()) == refs
    back.extensions["hub"].db.dispose()


def held_record(app: Any, api: Any, sink: Sink) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A record whose create died (400), with two later updates of it waiting behind."""
    add_push_instance(api, sink)
    sink.fail_next, sink.fail_status = 1, 400
    ref = api.post("/api/v1/incidents", json={"title": "Conveyor 4 stops"}).json["ref"]
    drain(app, until=lambda: outbox(api)[0]["status"] == "dead")
    for n in (1, 2):
        assert api.patch(f"/api/v1/incidents/{ref}", json={"description": f"step {n}"}).status_code == 200
    drain(app)  # nothing of the record goes while its create is dead
    (dead,) = outbox(api, status="dead")
    waiting = outbox(api, status="pending")
    assert sink.received == []  # the sink keeps what it accepted: nothing
    return dead, waiting


def test_a_dead_letter_holds_the_later_updates_of_its_record_until_replayed(app: Any, api: Any, sink: Sink) -> None:
    dead, waiting = held_record(app, api, sink)
    assert [message["held_behind"] for message in waiting] == [dead["id"], dead["id"]]
    assert api.get(f"/api/v1/admin/outbox/{waiting[0]['id']}").json["held_behind"] == dead["id"]
    assert api.post(f"/api/v1/admin/outbox/{dead['id']}/replay").status_code == 200
    drain(app, until=lambda: sink.wait_for(3, timeout=0.1))
    events = [body["event"] for body in sink.bodies()]
    assert events == ["create", "update", "update"]  # in their order, the create first
    assert [body["changes"]["description"][1] for body in sink.bodies()[1:]] == ["step 1", "step 2"]
    assert outbox(api, status="pending") == []


def test_discarding_a_dead_letter_lets_the_held_updates_go_in_order(app: Any, api: Any, sink: Sink) -> None:
    dead, _ = held_record(app, api, sink)
    discarded = api.post(f"/api/v1/admin/outbox/{dead['id']}/discard")
    assert discarded.status_code == 200 and discarded.json["status"] == "discarded"
    assert discarded.json["result"]["discarded_by"]
    drain(app, until=lambda: sink.wait_for(2, timeout=0.1))
    assert [body["changes"]["description"][1] for body in sink.bodies()] == ["step 1", "step 2"]
    assert [m["id"] for m in outbox(api, status="discarded")] == [dead["id"]]
    assert api.post(f"/api/v1/admin/outbox/{dead['id']}/discard").status_code == 409  # only dead letters


def test_replaying_every_dead_letter_releases_the_held_ones(app: Any, api: Any, sink: Sink) -> None:
    held_record(app, api, sink)
    assert api.post("/api/v1/admin/outbox/replay-dead").json == {"replayed": 1}
    drain(app, until=lambda: sink.wait_for(3, timeout=0.1))
    assert [body["event"] for body in sink.bodies()] == ["create", "update", "update"]


def test_a_mail_that_could_not_be_sent_holds_no_other(app: Any) -> None:
    from hub.delivery import outbox as box
    from hub.models import OutboxMessage

    with app.extensions["hub"].db.transaction() as session:
        first = box.enqueue(session, instance_id=None, action="mail", lane="mail:guest@example.org", payload={})
        second = box.enqueue(session, instance_id=None, action="mail", lane="mail:guest@example.org", payload={})
        session.flush()
        first.status = "dead"
        session.flush()
        assert box.held_behind(session, [second]) == {}
        assert box.waiting_behind(session, first) == 0
        assert second.lane in box.due_lanes(session)
        first.action = "update"  # the same lane of a record's updates is held
        session.flush()
        assert box.held_behind(session, [second]) == {second.id: first.id}
        assert box.due_lanes(session) == []
        assert session.get(OutboxMessage, second.id) is second
