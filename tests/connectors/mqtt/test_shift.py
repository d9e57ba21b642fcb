"""The line-3 shift through the real broker: alarms correlate into the documented incidents,
the clear and the alarm after it follow the instance's policies, bad payloads are kept
in quarantine with their reasons while the listener goes on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.mqtt.conftest import (
    add_instance,
    alarm,
    instance_config,
    prepare_session,
    sample_messages,
    wait_until,
)


def events(api: Any, slug: str) -> list[dict[str, Any]]:
    return list(reversed(api.get(f"/api/v1/admin/events?instance={slug}&limit=200").json))


def tickets(api: Any, kind: str = "incidents") -> dict[str, dict[str, Any]]:
    return {item["ref"]: item for item in api.get(f"/api/v1/{kind}?limit=100").json["items"]}


def run_shift(api: Any, broker: str, prefix: str, publisher: Any, listening: Any, slug: str = "line3",
              messages: list[tuple[str, bytes]] | None = None, expect: int | None = None,
              **config: Any) -> list[dict[str, Any]]:
    add_instance(api, slug, instance_config(broker, prefix, **config))
    prepare_session(broker, f"{prefix}-{slug}-1", [f"{prefix}/#"])
    messages = messages if messages is not None else sample_messages("line3-shift.jsonl", prefix)
    publisher.publish(messages)
    listener = listening(slug)
    expect = len(messages) if expect is None else expect
    stored = wait_until(lambda: len(found := events(api, slug)) >= expect and found, what=f"{expect} stored events")
    listener.stop()
    return stored


@pytest.mark.parametrize("after_clear", ["reopen", "new"])
def test_line3_shift_gives_the_documented_tickets(api: Any, broker: str, prefix: str, publisher: Any,
                                                  listening: Any, after_clear: str) -> None:
    stored = run_shift(api, broker, prefix, publisher, listening, after_clear=after_clear)
    assert [event["action"] for event in stored] == [
        "created", "occurrence", "occurrence", "created", "resolved", "created",
        "reopened" if after_clear == "reopen" else "created", "created"]
    assert all(event["status"] == "applied" for event in stored)
    # Every merge says why it was merged.
    assert "Occurrence 2 of INC-000001: same correlation key 'plant-a/line3/filler-2/E101'" in stored[1]["reason"]
    assert "Occurrence 3 of INC-000001" in stored[2]["reason"]

    incidents = tickets(api)
    jam = incidents["INC-000001"]
    assert jam["title"] == "E101 Bottle jam at infeed star wheel on filler-2"
    assert (jam["impact"], jam["urgency"], jam["priority"]) == ("high", "medium", 2)
    assert jam["ci"] == "plant-a/line3/filler-2"
    assert jam["source"] == "mqtt"
    torque = incidents["INC-000002"]
    assert (torque["title"], torque["status"], torque["occurrence_count"]) == (
        "T220 Torque below setpoint on capper-1", "new", 1)
    stop = incidents["INC-000003"]
    assert (stop["title"], stop["impact"], stop["urgency"], stop["priority"]) == (
        "S001 Emergency stop pressed on labeler-1", "high", "high", 1)
    assert stop["ci"] == "plant-a/line3/labeler-1"
    if after_clear == "reopen":
        assert set(incidents) == {"INC-000001", "INC-000002", "INC-000003"}
        assert (jam["status"], jam["occurrence_count"]) == ("in_progress", 4)
        assert jam["last_seen_at"].startswith("2026-11-14T21:20:00")
    else:
        assert set(incidents) == {"INC-000001", "INC-000002", "INC-000003", "INC-000004"}
        assert (jam["status"], jam["occurrence_count"], jam["resolved_at"] is not None) == ("resolved", 3, True)
        again = incidents["INC-000004"]
        assert (again["status"], again["occurrence_count"], again["ci"]) == ("new", 1, "plant-a/line3/filler-2")
    assert not any(ticket["flapping"] for ticket in incidents.values())
    trail = api.get("/api/v1/incidents/INC-000001/audit").json
    moves = [entry["changes"]["status"] for entry in trail if "status" in (entry["changes"] or {})]
    assert moves[0] == ["new", "resolved"]
    assert (moves[1:] == [["resolved", "in_progress"]]) == (after_clear == "reopen")
    assert trail[1]["changes"]["resolution"][1] == "Cleared at the source (2026-11-14T21:09:30+00:00)."

    (change,) = tickets(api, "changes").values()
    assert change["ref"] == "CHG-000001"
    assert (change["title"], change["status"], change["risk"], change["type"]) == (
        "Switch line 3 to 330 ml format", "submitted", "medium", "normal")
    assert change["planned_start"].startswith("2026-11-16T06:00:00")
    assert change["planned_end"].startswith("2026-11-16T08:00:00")
    assert change["requester"]["email"] == "planner.kim@plant-a.example.com"
    assert "Customer order 7731" in change["description"]
    assert change["ci"] == "plant-a/line3"


def test_clear_as_a_note_leaves_the_incident_open(api: Any, broker: str, prefix: str, publisher: Any,
                                                  listening: Any) -> None:
    stored = run_shift(api, broker, prefix, publisher, listening, clear_policy="note")
    assert stored[4]["action"] == "noted"
    assert "Clear noted" in stored[4]["reason"]
    jam = tickets(api)["INC-000001"]
    assert (jam["status"], jam["occurrence_count"]) == ("new", 4)
    comments = api.get("/api/v1/incidents/INC-000001/comments").json
    assert [c["visibility"] for c in comments] == ["internal"]
    assert "Cleared at the source (2026-11-14T21:09:30+00:00)" in comments[0]["body"]


def test_bad_payloads_are_quarantined_with_reasons_and_the_listener_goes_on(
        api: Any, broker: str, prefix: str, publisher: Any, listening: Any) -> None:
    bad = sample_messages("bad-payloads.jsonl", prefix)
    good = alarm(prefix, "filler-2", "E101", 99)
    stored = run_shift(api, broker, prefix, publisher, listening, messages=[*bad, good])
    assert [event["status"] for event in stored] == ["quarantined"] * 5 + ["applied"]
    reasons = [event["reason"] for event in stored[:5]]
    assert reasons[0].startswith("The message is not JSON")
    assert reasons[1] == "Not an alarm this instance can read: severity is missing; state is missing."
    assert "state 'exploded' is neither an active state" in reasons[2]
    assert "severity is missing" in reasons[2]
    assert reasons[3] == "The message is 8 bytes of binary data, not UTF-8 JSON."
    assert "time 'yesterday' is not an ISO 8601 time" in reasons[4]
    assert stored[3]["body_size"] == 8  # kept as it came, for a replay after a fix
    assert stored[4]["payload"]["text"] == "<img src=x onerror=alert(1)>"
    (incident,) = tickets(api).values()
    assert incident["title"] == "E101 Alarm E101 on filler-2"


def test_a_redelivered_message_counts_once(api: Any, broker: str, prefix: str, publisher: Any,
                                           listening: Any) -> None:
    first = alarm(prefix, "filler-2", "E101", 1)
    stored = run_shift(api, broker, prefix, publisher, listening, expect=2, messages=[first, first, alarm(
        prefix, "filler-2", "E101", 2)])
    assert len(stored) == 2  # the byte-identical copy is the same event
    assert tickets(api)["INC-000001"]["occurrence_count"] == 2


def test_the_message_id_path_identifies_messages(api: Any, broker: str, prefix: str, publisher: Any,
                                                 listening: Any) -> None:
    topic, payload = alarm(prefix, "filler-2", "E101", 7)
    changed = payload.replace(b"Alarm E101", b"Alarm E101 (resent)")
    stored = run_shift(api, broker, prefix, publisher, listening, message_id="payload.seq", expect=2,
                       messages=[(topic, payload), (topic, changed), alarm(prefix, "filler-2", "E101", 8)])
    assert [event["idempotency_key"] for event in stored] == [f"id:{topic}:7", f"id:{topic}:8"]
    assert tickets(api)["INC-000001"]["occurrence_count"] == 2


def test_an_alarm_that_comes_and_goes_is_one_flapping_incident(api: Any, broker: str, prefix: str,
                                                               publisher: Any, listening: Any) -> None:
    messages = [alarm(prefix, "labeler-1", "P7", seq, state="active" if seq % 2 == 0 else "cleared")
                for seq in range(10)]
    stored = run_shift(api, broker, prefix, publisher, listening, messages=messages, after_clear="new",
                       flap_threshold=3, flap_minutes=10)
    incidents = tickets(api)
    assert len(incidents) <= 3  # before the threshold the policy opens new ones, then the flapping one is reused
    flapping = [ticket for ticket in incidents.values() if ticket["flapping"]]
    assert len(flapping) == 1
    assert any("flapping" in (event["reason"] or "") for event in stored)
    assert sum(ticket["occurrence_count"] for ticket in incidents.values()) == 5


def test_machines_map_to_items_and_departments(api: Any, broker: str, prefix: str, publisher: Any,
                                               listening: Any) -> None:
    assert api.post("/api/v1/departments", json={"slug": "quality", "name": "Quality"}).status_code == 201
    assert api.post("/api/v1/departments", json={"slug": "packaging", "name": "Packaging"}).status_code == 201
    messages = [alarm(prefix, "filler-2", "E101", 1), alarm(prefix, "labeler-1", "L5", 2, line="line4"),
                alarm(prefix, "capper-1", "T9", 3, severity="weird")]
    stored = run_shift(api, broker, prefix, publisher, listening, messages=messages, departments={
        "plant-a/line4/*": "packaging", "plant-a/*": "quality"})
    assert stored[2]["status"] == "quarantined"
    assert "severity 'weird' is not in the severity map" in stored[2]["reason"]
    incidents = tickets(api)
    assert (incidents["INC-000001"]["department"], incidents["INC-000002"]["department"]) == ("quality", "packaging")
    items = {item["key"]: item for item in api.get("/api/v1/configuration-items").json}
    assert items["plant-a/line3/filler-2"]["kind"] == "machine"
    assert items["plant-a/line3/filler-2"]["name"] == "filler-2"
    by_machine = api.get("/api/v1/incidents?ci=plant-a/line4/labeler-1").json["items"]
    assert [ticket["ref"] for ticket in by_machine] == ["INC-000002"]
