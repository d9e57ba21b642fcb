"""MQTT tests run against the real broker (tests/support/services.need_mqtt), each on topics
and client ids of its own, so tests never see each other's messages or sessions."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from hub.app.listeners import run_listener
from tests.conftest import SAMPLES
from tests.support.services import need_mqtt
from tests.support.waiting import scaled

#: Topics are "<prefix>/<site>/<line>/<machine>/alarm": the mapping skips the prefix.
PREFIXED_MAPPING = {"site": "topic.1", "line": "topic.2", "machine": "topic.3"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("mqtt", "connectors.mqtt")]
    return app_config


@pytest.fixture
def broker() -> str:
    host, port = need_mqtt()
    return f"mqtt://{host}:{port}"


@pytest.fixture
def prefix() -> str:
    return f"hubtest-{uuid.uuid4().hex[:12]}"


def sample_messages(name: str, prefix: str) -> list[tuple[str, bytes]]:
    """A samples file as (topic, payload bytes), topics under ``prefix``."""
    out = []
    for line in (SAMPLES / "mqtt" / name).read_text().splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if "payload" in item:
            data = json.dumps(item["payload"]).encode()
        elif "raw" in item:
            data = item["raw"].encode()
        else:
            data = base64.b64decode(item["raw_base64"])
        out.append((f"{prefix}/{item['topic']}", data))
    return out


def alarm(prefix: str, machine: str, code: str, seq: int, state: str = "active", severity: str = "major",
          line: str = "line3") -> tuple[str, bytes]:
    payload = {"code": code, "text": f"Alarm {code}", "severity": severity, "state": state,
               "ts": f"2026-11-14T21:{seq // 60 % 60:02d}:{seq % 60:02d}Z", "seq": seq}
    return f"{prefix}/plant-a/{line}/{machine}/alarm", json.dumps(payload).encode()


def instance_config(broker: str, prefix: str, **config: Any) -> dict[str, Any]:
    return {"broker_url": broker, "topics": [f"{prefix}/#"], "mapping": dict(PREFIXED_MAPPING),
            "client_id": f"{prefix}-{{instance}}-{{listener}}", "session_expiry": 600, "batch_window_ms": 20,
            **config}


def add_instance(api: Any, slug: str, config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = api.post("/api/v1/admin/instances", json={"connector": "mqtt", "slug": slug, "enabled": True,
                                                         "config": config, **fields})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


class Publisher:
    """A plain MQTT 5 client publishing with QoS 1 and waiting for each PUBACK."""

    def __init__(self, broker: str) -> None:
        host, port = broker.removeprefix("mqtt://").split(":")
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hubtest-pub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.connect(host, int(port))
        self.client.loop_start()

    def publish(self, messages: list[tuple[str, bytes]], *, retain: bool = False) -> None:
        infos = [self.client.publish(topic, payload, qos=1, retain=retain) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(10)
            assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Subscriber:
    """Collects what the hub publishes on a topic filter."""

    def __init__(self, broker: str, topic: str) -> None:
        host, port = broker.removeprefix("mqtt://").split(":")
        self.messages: list[tuple[str, dict[str, Any], bool]] = []
        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hubtest-sub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_subscribe = lambda *args: self.ready.set()
        self.client.on_message = lambda client, userdata, message: message.payload and self.messages.append(
            (message.topic, json.loads(message.payload), bool(message.retain)))
        self.client.connect(host, int(port))
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()
        assert self.ready.wait(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: str) -> Iterator[Publisher]:
    client = Publisher(broker)
    yield client
    client.close()


class Listening:
    """``run_listener`` in a thread of the test process (stop() ends it cleanly)."""

    def __init__(self, runtime: Any, slug: str) -> None:
        self.stop_event = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(runtime, slug), daemon=True)
        self.thread.start()

    def _run(self, runtime: Any, slug: str) -> None:
        try:
            run_listener(runtime, slug, self.stop_event)
        except BaseException as exc:  # reported by stop()
            self.errors.append(exc)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(20)
        assert not self.thread.is_alive(), "the listener did not stop"
        assert not self.errors, self.errors


@pytest.fixture
def listening(runtime: Any) -> Iterator[Callable[[str], Listening]]:
    started: list[Listening] = []

    def start(slug: str) -> Listening:
        listener = Listening(runtime, slug)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        if listener.thread.is_alive():
            listener.stop()


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + scaled(timeout)
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {result!r}")
        time.sleep(0.05)


def prepare_session(broker: str, client_id: str, filters: list[str]) -> None:
    """Make the listener's persistent session (with its subscriptions) before it runs, so
    everything published from now on waits for it: no race with its first subscribe."""
    host, port = broker.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 600
    client.connect(host, int(port), clean_start=False, properties=properties)
    client.loop_start()
    client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in filters])
    assert subscribed.wait(10)
    client.disconnect()
    client.loop_stop()


def entry_point_path(folder: Path) -> str:
    """A directory to put on PYTHONPATH so that hub processes find the mqtt and opcua
    plugins through the itsm_hub entry-point group, as an installed hub will once
    setup.cfg lists them (nothing is written when it already does)."""
    from importlib import metadata

    names = {entry.name for entry in metadata.entry_points(group="itsm_hub")}
    wanted = {"mqtt": "connectors.mqtt", "opcua": "connectors.opcua"}
    missing = {name: module for name, module in wanted.items() if name not in names}
    info = folder / "itsm_hub_manufacturing_tests-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: itsm-hub-manufacturing-tests\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[itsm_hub]\n" + "".join(f"{name} = {module}\n" for name, module in missing.items()))
    return str(folder)
