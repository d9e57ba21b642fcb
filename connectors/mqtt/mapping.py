"""Reading MQTT messages: from bytes on a topic to a stored event, and from a stored event
to an alarm or a change request.

Per instance, a mapping names where each field comes from: a path into
``{"topic": [segments], "payload": {...}}``, so ``topic.2`` is the third topic segment
and ``payload.code`` a JSON field (the hub's mapping specs: a path, or
``{path, default, map, template}``). A field the mapping does not find is looked up in
the payload under its own name, so an MES posting ``{"site": ..., "line": ...}`` over
HTTP needs no mapping of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from paho.mqtt.client import topic_matches_sub

from hub.sdk import EventInfo, RawEvent, SkippableError
from hub.sdk.alarms import Alarm, parse_time
from hub.sdk.mapping import MISSING, MappingError, apply_spec, get_path, validate_spec

ALARM_FIELDS = ("site", "line", "machine", "code", "text", "severity", "state", "time")
CHANGE_FIELDS = ("request_id", "title", "reason", "planned_start", "planned_end", "requested_by", "risk",
                 "change_type", "site", "line", "targets")
MAPPABLE = tuple(dict.fromkeys(ALARM_FIELDS + CHANGE_FIELDS))
DEFAULT_MAPPING: dict[str, Any] = {
    "site": "topic.0", "line": "topic.1", "machine": "topic.2", "code": "payload.code", "text": "payload.text",
    "severity": "payload.severity", "state": "payload.state", "time": "payload.ts",
    "request_id": "payload.id", "title": "payload.title", "reason": "payload.reason",
    "planned_start": "payload.planned_start", "planned_end": "payload.planned_end",
    "requested_by": "payload.requested_by", "risk": "payload.risk", "change_type": "payload.type",
    "targets": "payload.targets",
}
ACTIVE_STATES = ("active", "raised", "set", "on", "alarm", "1", "true")
CLEAR_STATES = ("cleared", "clear", "inactive", "reset", "off", "normal", "0", "false")
MAX_PAYLOAD = 1024 * 1024
"""Messages above this size are kept truncated and quarantined, never read."""
KEPT_OF_OVERSIZED = 64 * 1024
NAME_MAX = 200


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def strict_json(text: str) -> Any:
    """json.loads without NaN and Infinity, which databases refuse in JSON columns."""
    return json.loads(text, parse_constant=_no_constants)


def raw_event(topic: str, payload: bytes, *, qos: int = 1, retain: bool = False, message_id: str | None = None,
              response_topic: str | None = None) -> RawEvent:
    """What the listener stores for one message: the JSON object if it is one, else the bytes.

    The idempotency key is the configured message id (a path such as ``payload.seq``)
    when the message has one, else a hash of topic and payload: a broker re-delivery
    is byte-identical, so it is recognised either way.
    """
    meta: dict[str, Any] = {"topic": topic, "qos": qos, "retain": retain}
    if response_topic:
        meta["response_topic"] = response_topic
    data: Any = None
    if len(payload) <= MAX_PAYLOAD:
        try:
            text = payload.decode("utf-8")
            # A NUL in a JSON string is valid JSON but not storable as JSON text in
            # PostgreSQL: keep such a message as bytes, and let normalize refuse it.
            data = strict_json(text) if "\\u0000" not in text else None
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
    key = None
    if message_id and isinstance(data, dict):
        value = get_path({"topic": topic.split("/"), "payload": data}, message_id)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            key = f"id:{topic}:{value}"
    if key is None:
        key = "sha256:" + hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()
    if isinstance(data, dict):
        return RawEvent(idempotency_key=key, payload=data, meta=meta)
    if len(payload) > MAX_PAYLOAD:
        meta["size"] = len(payload)
        payload = payload[:KEPT_OF_OVERSIZED]
    return RawEvent(idempotency_key=key, body=payload, content_type="application/octet-stream", meta=meta)


def message_object(event: EventInfo) -> dict[str, Any]:
    """The event's JSON object; SkippableError says why a message is not one."""
    if event.payload is not None:
        return event.payload
    body = event.body or b""
    if event.meta.get("size"):
        raise SkippableError(f"The message is {event.meta['size']} bytes; the limit is {MAX_PAYLOAD} bytes "
                             f"(the first {KEPT_OF_OVERSIZED} are kept).")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SkippableError(f"The message is {len(body)} bytes of binary data, not UTF-8 JSON.") from None
    if "\\u0000" in text or "\x00" in text:
        raise SkippableError("The message contains NUL characters, which the hub does not store as text.")
    try:
        data = strict_json(text)
    except RecursionError:
        raise SkippableError("The message's JSON is nested too deeply.") from None
    except ValueError as exc:
        raise SkippableError(f"The message is not JSON ({exc}); it starts with {text[:80]!r}.") from None
    if not isinstance(data, dict):
        raise SkippableError(f"The message is JSON but a {type(data).__name__}, not an object.")
    return data


def check_mapping(mapping: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, spec in mapping.items():
        try:
            validate_spec(spec)
        except MappingError as exc:
            errors[name] = [str(exc)]
    return errors


def read_fields(names: tuple[str, ...], topic: str, payload: dict[str, Any],
                mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    data = {"topic": topic.split("/") if topic else [], "payload": payload}
    specs = {**DEFAULT_MAPPING, **(mapping or {})}
    out: dict[str, Any] = {}
    for name in names:
        value = apply_spec(specs[name], data) if name in specs else MISSING
        if value is MISSING or value is None or value == "":
            value = payload.get(name, MISSING)
        if value is not MISSING and value is not None and value != "":
            out[name] = value
    return out


def is_change(topic: str, payload: dict[str, Any], change_topics: list[str]) -> bool:
    if payload.get("kind") == "change":
        return True
    return any(topic_matches_sub(pattern, topic) for pattern in change_topics)


def _name(values: dict[str, Any], name: str, problems: list[str], *, required: bool) -> str | None:
    value = values.get(name)
    if value is None:
        if required:
            problems.append(f"{name} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(f"{name} must be text, not {type(value).__name__}")
        return None
    text = str(value).strip()
    if not text:
        problems.append(f"{name} is empty")
        return None
    if len(text) > NAME_MAX:
        problems.append(f"{name} is longer than {NAME_MAX} characters")
        return None
    return text


def alarm_state(value: Any, active_states: list[str], clear_states: list[str]) -> bool | None:
    """True for an active state, False for a clear, None for anything else."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str | int):
        return None
    word = str(value).strip().lower()
    if word in (state.lower() for state in active_states):
        return True
    if word in (state.lower() for state in clear_states):
        return False
    return None


def read_alarm(topic: str, payload: dict[str, Any], config: Mapping[str, Any]) -> Alarm:
    """The alarm in a message; SkippableError lists everything wrong with it at once."""
    values = read_fields(ALARM_FIELDS, topic, payload, config.get("mapping"))
    problems: list[str] = []
    names = {name: _name(values, name, problems, required=True) for name in ("site", "line", "machine", "code")}
    text = values.get("text")
    if text is not None and not isinstance(text, str):
        problems.append(f"text must be text, not {type(text).__name__}")
        text = None
    severity = values.get("severity")
    if severity is None:
        problems.append("severity is missing")
    elif isinstance(severity, bool) or not isinstance(severity, str | int | float):
        problems.append(f"severity must be text or a number, not {type(severity).__name__}")
    active = None
    if "state" not in values:
        problems.append("state is missing")
    else:
        active = alarm_state(values["state"], config.get("active_states") or list(ACTIVE_STATES),
                             config.get("clear_states") or list(CLEAR_STATES))
        if active is None:
            problems.append(f"state {str(values['state'])[:40]!r} is neither an active state "
                            f"({', '.join(config.get('active_states') or ACTIVE_STATES)}) nor a clear state "
                            f"({', '.join(config.get('clear_states') or CLEAR_STATES)})")
    occurred_at = None
    if "time" in values:
        try:
            occurred_at = parse_time(values["time"])
        except SkippableError as exc:
            problems.append(exc.message)
    if problems:
        raise SkippableError("Not an alarm this instance can read: " + "; ".join(problems) + ".")
    assert active is not None
    fields = {name: value for name, value in names.items() if value is not None}
    fields["text"] = (text or "").strip()[:2000] or fields["code"]
    fields["severity"] = str(severity)
    return Alarm(values=fields, active=active, occurred_at=occurred_at, severity=severity,
                 details=(f"Topic: {topic}",) if topic else ())
