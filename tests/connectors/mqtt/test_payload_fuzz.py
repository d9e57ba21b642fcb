"""Hypothesis against the MQTT payload mapping: any topic and any bytes, mapped by any of a
few mappings, end as a draft or as a SkippableError with a reason, never as a crash that
would stop the listener or lose the message."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from connectors.mqtt.connector import MqttConnector
from connectors.mqtt.mapping import raw_event
from hub.sdk import EventInfo, InstanceInfo, SkippableError, TicketDraft

MAPPINGS: list[dict[str, Any]] = [
    {},
    {"site": "topic.1", "line": "topic.2", "machine": "topic.3", "code": "payload.alarm.id"},
    {"severity": {"path": "payload.prio", "map": {"1": "critical", "2": "major"}, "default": "minor"},
     "text": {"template": "{payload.text} on {topic.3}"}},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
alarm_like = st.fixed_dictionaries({}, optional={
    "code": json_values | st.sampled_from(["E101", "T220"]),
    "text": json_values, "severity": json_values | st.sampled_from(["major", "critical", 2]),
    "state": json_values | st.sampled_from(["active", "cleared", "1"]),
    "ts": json_values | st.sampled_from(["2026-11-23T08:00:00Z", "yesterday", "2026-13-45T99:00:00"]),
    "alarm": st.dictionaries(st.sampled_from(["id", "x"]), json_values, max_size=2),
    "prio": json_values, "kind": st.sampled_from(["change", "alarm"]), "title": json_values,
    "planned_start": json_values, "seq": json_values,
})
# Mostly well-formed alarms with random extras and odd values mixed in, so drafts are made too.
plausible = st.fixed_dictionaries({
    "code": st.sampled_from(["E101", "T220", 7]), "severity": st.sampled_from(["major", "critical", "info", 3]),
    "state": st.sampled_from(["active", "cleared", "raised"]),
    "alarm": st.fixed_dictionaries({"id": st.sampled_from(["E1", "S2"])}),
}, optional={"text": json_values, "ts": st.sampled_from(["2026-11-23T08:00:00Z", "2026-11-23 08:00", "soon"]),
             "prio": json_values, "seq": st.integers(0, 10**6) | json_values})
payloads = (st.binary(max_size=200) | plausible.map(lambda value: json.dumps(value).encode())
            | json_values.map(lambda value: json.dumps(value).encode())
            | alarm_like.map(lambda value: json.dumps(value).encode()))
# MQTT topics are well-formed UTF-8 on the wire (paho decodes them strictly): no surrogates.
segment = st.text(st.characters(blacklist_characters="/#+\x00", blacklist_categories=["Cs"]), max_size=12)
topics = st.lists(segment, min_size=0, max_size=6).map("/".join) | st.lists(
    st.sampled_from(["plant-a", "line3", "filler-2", "alarm"]) | segment, min_size=4, max_size=5).map("/".join)


def connector(mapping: dict[str, Any]) -> MqttConnector:
    config = MqttConnector.config_schema().load({"broker_url": "mqtt://127.0.0.1:1883", "topics": ["#"],
                                                 "mapping": mapping, "message_id": "payload.seq"})
    instance = InstanceInfo(id=1, slug="line", name="Line", connector="mqtt", enabled=True, department=None,
                            config=config)
    return MqttConnector(instance=instance, config=config)


CONNECTORS = [connector(mapping) for mapping in MAPPINGS]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topic=topics, payload=payloads, which=st.integers(0, len(MAPPINGS) - 1))
def test_any_message_is_a_draft_or_a_reason(topic: str, payload: bytes, which: int) -> None:
    raw = raw_event(topic, payload, message_id="payload.seq")
    assert raw.idempotency_key
    event = EventInfo(id=1, instance_id=1, idempotency_key=raw.idempotency_key, received_at=datetime.now(UTC),
                      payload=raw.payload, body=raw.body, content_type=raw.content_type or "application/json",
                      meta=dict(raw.meta))
    outcome = read(CONNECTORS[which], event)
    assert isinstance(outcome, TicketDraft) or outcome.strip(), "a refusal must say why"
    target(1.0 if isinstance(outcome, TicketDraft) else 0.0, label="drafts")  # steer towards both outcomes


def read(source: MqttConnector, event: EventInfo) -> TicketDraft | str:
    """The draft, or the reason the message is refused; any other exception fails the test."""
    try:
        return source.normalize(event)
    except SkippableError as exc:
        return str(exc)
