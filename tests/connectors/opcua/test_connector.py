"""The OPC UA connector against a real asyncua server (tests/support/opcua_server.py) that
raises, repeats, clears and acknowledges a real condition."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from redis import Redis

from connectors.opcua.conditions import ConditionTracker, raw_condition_event
from connectors.opcua.connector import OpcUaConnector
from connectors.opcua.uaclient import ConditionEvent
from hub.app.listeners import run_listener
from hub.testing import connector_test_class
from tests.support.jobs import drain
from tests.support.opcua_server import FILLER, LABELER, OpcUaAlarmServer, free_port
from tests.support.services import need_redis
from tests.support.waiting import scaled


@pytest.fixture(scope="module")
def shared_server() -> Iterator[OpcUaAlarmServer]:
    with OpcUaAlarmServer() as srv:
        yield srv


@pytest.fixture
def server(shared_server: OpcUaAlarmServer) -> OpcUaAlarmServer:
    shared_server.reset()
    return shared_server


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    queue_prefix = f"opcua{uuid.uuid4().hex[:10]}"
    app_config.update(PLUGINS=[("opcua", "connectors.opcua")], REDIS_URL=url, QUEUE_PREFIX=queue_prefix,
                      OUTBOX_BACKOFF_SECONDS=0.01, OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=5)
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{queue_prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{queue_prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


class Listening:
    def __init__(self, runtime: Any, slug: str) -> None:
        self.stop_event = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(runtime, slug), daemon=True)
        self.thread.start()

    def _run(self, runtime: Any, slug: str) -> None:
        try:
            run_listener(runtime, slug, self.stop_event)
        except BaseException as exc:
            self.errors.append(exc)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(30)
        assert not self.thread.is_alive() and not self.errors, self.errors


@pytest.fixture
def listening(runtime: Any) -> Iterator[Callable[[str], Listening]]:
    started: list[Listening] = []

    def start(slug: str) -> Listening:
        started.append(Listening(runtime, slug))
        return started[-1]

    yield start
    for listener in started:
        if listener.thread.is_alive():
            listener.stop()


def wait_until(check: Callable[[], Any], timeout: float = 20.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + scaled(timeout)
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {result!r}")
        time.sleep(0.05)


def add_instance(api: Any, server: OpcUaAlarmServer, **config: Any) -> None:
    response = api.post("/api/v1/admin/instances", json={
        "connector": "opcua", "slug": "plc3", "enabled": True,
        "config": {"endpoint_url": server.url, "site": "plant-a", "line": "line3",
                   "ci_key": "{site}/{line}/{machine}", "machines": {"Filler2": "filler-2"},
                   "publishing_interval": 100, **config}})
    assert response.status_code == 201, response.json


def incidents(api: Any) -> dict[str, dict[str, Any]]:
    return {item["ref"]: item for item in api.get("/api/v1/incidents?limit=100").json["items"]}


def events(api: Any) -> list[dict[str, Any]]:
    return list(reversed(api.get("/api/v1/admin/events?instance=plc3&limit=200").json))


def occurrences(api: Any, ref: str = "INC-000001") -> int:
    found = incidents(api).get(ref)
    return int(found["occurrence_count"]) if found else 0


def test_a_condition_raised_repeated_and_cleared_is_one_incident(api: Any, server: OpcUaAlarmServer,
                                                                 listening: Any) -> None:
    add_instance(api, server)
    listener = listening("plc3")
    server.raise_alarm("Bottle jam at infeed star wheel", severity=700)
    wait_until(lambda: occurrences(api) == 1, what="the incident")
    server.repeat_alarm()
    server.repeat_alarm()
    wait_until(lambda: occurrences(api) == 3, what="three occurrences")
    server.clear_alarm()
    wait_until(lambda: incidents(api)["INC-000001"]["status"] == "resolved", what="the clear")
    server.raise_alarm("Bottle jam at infeed star wheel", severity=900)
    wait_until(lambda: incidents(api)["INC-000001"]["status"] == "in_progress", what="the reopen")
    server.raise_alarm("Emergency stop", severity=1000, machine=LABELER)
    wait_until(lambda: "INC-000002" in incidents(api), what="the second machine's incident")
    listener.stop()

    found = incidents(api)
    jam, stop = found["INC-000001"], found["INC-000002"]
    assert (jam["title"], jam["occurrence_count"], jam["ci"]) == (
        "Bottle jam at infeed star wheel on filler-2", 4, "plant-a/line3/filler-2")
    assert (jam["impact"], jam["urgency"]) == ("high", "medium")  # severity 700: the 600 band
    assert (stop["title"], stop["priority"], stop["ci"]) == ("Emergency stop on Labeler1", 1, "plant-a/line3/Labeler1")
    stored = events(api)
    assert [event["action"] for event in stored] == ["created", "occurrence", "occurrence", "resolved", "reopened",
                                                     "created"]
    assert stored[1]["reason"].startswith(f"Occurrence 2 of INC-000001: same correlation key "
                                          f"'{server.condition_id(FILLER)}'")
    assert {event["payload"]["transition"] for event in stored} == {"raised", "repeated", "cleared"}


def test_conditions_come_back_after_restarts_without_double_counting(api: Any, server: OpcUaAlarmServer,
                                                                     listening: Any) -> None:
    add_instance(api, server)
    server.raise_alarm("Torque below setpoint", severity=450)  # before the hub listens
    listener = listening("plc3")
    wait_until(lambda: occurrences(api) == 1, what="the condition from ConditionRefresh")
    server.restart()  # the PLC reboots: the connection drops, the refresh re-states the condition
    server.repeat_alarm()
    wait_until(lambda: occurrences(api) == 2, what="the repeat after the reconnect")
    listener.stop()
    listener = listening("plc3")  # the hub restarts: refresh again, same EventId, nothing new
    server.clear_alarm()
    wait_until(lambda: incidents(api)["INC-000001"]["status"] == "resolved", what="the clear")
    listener.stop()
    assert occurrences(api) == 2
    assert len(incidents(api)) == 1
    assert [event["action"] for event in events(api)] == ["created", "occurrence", "resolved"]


def test_acknowledging_the_incident_acknowledges_the_condition(app: Any, api: Any, server: OpcUaAlarmServer,
                                                               listening: Any) -> None:
    add_instance(api, server, acknowledge_on_server=True, clear_policy="note")
    listener = listening("plc3")
    server.raise_alarm("Bottle jam", severity=700)
    wait_until(lambda: occurrences(api) == 1, what="the incident")
    latest = server.repeat_alarm()  # the acknowledgement names the latest event, read from the node
    wait_until(lambda: occurrences(api) == 2, what="the repeat")
    assert not server.acknowledged()
    response = api.post("/api/v1/incidents/INC-000001/transitions", json={"to": "acknowledged"})
    assert response.status_code == 200, response.json
    drain(app, until=server.acknowledged)
    (ack,) = server.acknowledgements()
    assert ack.comment == "Acknowledged in itsm-hub as INC-000001."
    assert ack.event_id == latest
    # The server reports the acknowledgement as an event: a note, not an occurrence.
    wait_until(lambda: any(event["action"] == "noted" for event in events(api)), what="the acknowledged event")
    server.clear_alarm()
    wait_until(lambda: sum(event["action"] == "noted" for event in events(api)) == 2, what="the clear note")
    listener.stop()
    assert occurrences(api) == 2
    incident = incidents(api)["INC-000001"]
    assert incident["status"] == "acknowledged"  # clear_policy note: an agent resolves it
    notes = [comment["body"] for comment in api.get("/api/v1/incidents/INC-000001/comments").json]
    assert notes[0].startswith("Acknowledged on the OPC UA server")
    assert notes[1].startswith("Cleared at the source")
    # Another change of the incident needs nothing on the server; the delivery succeeds.
    api.post("/api/v1/incidents/INC-000001/transitions", json={"to": "in_progress"})
    drain(app)
    outbox = api.get("/api/v1/admin/outbox").json
    assert {message["status"] for message in outbox} == {"delivered"}
    assert len(server.acknowledgements()) == 1


def test_the_classification_of_condition_events() -> None:
    tracker = ConditionTracker()

    def event(active: bool, acked: bool) -> ConditionEvent:
        return ConditionEvent(event_id=uuid.uuid4().bytes, condition_id="ns=2;s=C", source_name="M", severity=500,
                              message="m", active=active, acked=acked, retain=True, time=datetime.now(UTC),
                              refresh=False)

    sequence = [(True, False), (True, False), (True, True), (True, True), (False, True), (False, True),
                (True, False), (False, False), (False, True)]
    assert [tracker.classify(event(*state)) for state in sequence] == [
        "raised", "repeated", "acknowledged", "repeated", "cleared", "unchanged", "raised", "cleared",
        "acknowledged"]


def _sample_events(request: pytest.FixtureRequest) -> list[Any]:
    tracker = ConditionTracker()
    out = []
    states = ((True, False, 700), (True, False, 700), (False, False, 700), (True, True, 50))
    for number, (active, acked, severity) in enumerate(states):
        condition = ConditionEvent(event_id=bytes([number]) * 16, condition_id="ns=2;s=Line3.Filler2.Fault",
                                   source_name="Filler2", severity=severity, message="Bottle jam", active=active,
                                   acked=acked, retain=True, time=datetime(2026, 11, 14, 21, number, tzinfo=UTC),
                                   refresh=False)
        out.append(raw_condition_event(condition, tracker.classify(condition)))
    return out


TestOpcUaContract = connector_test_class(
    OpcUaConnector,
    config=lambda request: {"endpoint_url": request.getfixturevalue("shared_server").url,
                            "acknowledge_on_server": True},
    events=_sample_events,
    bad_config={"endpoint_url": "http://plc", "source_node": "not a node"},
    fault_config=lambda request: {"endpoint_url": f"opc.tcp://127.0.0.1:{free_port()}/"},
)
