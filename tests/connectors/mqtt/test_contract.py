"""The MQTT connector passes the connector contract suite against the real broker."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.mqtt.connector import MqttConnector
from connectors.mqtt.mapping import raw_event
from hub.testing import connector_test_class
from tests.connectors.mqtt.conftest import sample_messages
from tests.support.processes import free_port
from tests.support.services import need_mqtt

pytestmark = pytest.mark.mqtt


def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    host, port = need_mqtt()
    return {"broker_url": f"mqtt://{host}:{port}", "topics": ["hubtest-contract/#"],
            "change_state_topic": "{topic}/state", "http_secret": "a-secret-of-the-mes-system"}


def events(request: pytest.FixtureRequest) -> list[Any]:
    messages = sample_messages("line3-shift.jsonl", "x") + sample_messages("bad-payloads.jsonl", "x")
    return [raw_event(topic.removeprefix("x/"), payload) for topic, payload in messages]


TestMqttContract = connector_test_class(
    MqttConnector, config=config, events=events,
    bad_config={"broker_url": "http://broker", "topics": ["a/#/b"]},
    fault_config=lambda request: {"broker_url": f"mqtt://127.0.0.1:{free_port()}", "topics": ["x/#"]},
)
