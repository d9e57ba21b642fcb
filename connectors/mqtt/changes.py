"""Line change requests: an MES asks for a change; the hub reports how it went.

A request (JSON on a change topic, or posted over HTTP) becomes a Change linked to the
request: the link's external id is ``<state topic>#<request id>``, so the state topic
travels with the change and a later push knows where to publish without asking the
request again. The state topic is the request's MQTT v5 Response Topic when it has one,
else the instance's ``change_state_topic`` template.

A request that names an id the hub already has updates that change (a new window, a
new reason) while it is still waiting for approval.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.mqtt.mapping import CHANGE_FIELDS, read_fields
from hub.sdk import OutboundMessage, SkippableError, TicketDraft
from hub.sdk.alarms import department_for, parse_time
from hub.sdk.mapping import MappingError, render

RISKS = ("low", "medium", "high")
CHANGE_TYPES = ("standard", "normal", "emergency")
REQUEST_ID_MAX = 100
TOPIC_MAX = 150
TARGETS_MAX = 500
#: Hub change states as the line system reads them.
OUTCOMES = {"review": "implemented", "implementing": "implementing"}


def _text(values: dict[str, Any], name: str, problems: list[str]) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.append(f"{name} must be text, not {type(value).__name__}")
        return None
    return str(value).strip() or None


def _choice(value: str | None, name: str, choices: tuple[str, ...], problems: list[str]) -> str | None:
    if value is None:
        return None
    if value.lower() not in choices:
        problems.append(f"{name} {value[:40]!r} is not one of {', '.join(choices)}")
        return None
    return value.lower()


def _targets(value: Any, problems: list[str]) -> list[str]:
    """The lines or machines a request rolls the change out to: item keys or names, as text."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, bool) or not isinstance(item, str | int | float) for item in items):
        problems.append("targets must be a list of text (line or machine keys or names)")
        return []
    if len(items) > TARGETS_MAX:
        problems.append(f"at most {TARGETS_MAX} targets in one request")
    return [str(item).strip()[:200] for item in items if str(item).strip()]


def state_topic(config: Mapping[str, Any], values: Mapping[str, Any], topic: str, request_id: str,
                response_topic: str | None) -> str:
    """Where this request's state changes are published ('' for nowhere)."""
    if response_topic:
        return response_topic
    template = config.get("change_state_topic") or ""
    if not template:
        return ""
    data = {**{key: str(value) for key, value in values.items()}, "topic": topic, "request_id": request_id,
            "ref": "{ref}"}  # the ref is known only once the change exists; the push fills it in
    try:
        return render(template, data)
    except MappingError as exc:
        raise SkippableError(f"change_state_topic: {exc} in the request") from None


def read_change(payload: dict[str, Any], *, topic: str, config: Mapping[str, Any], fallback_id: str,
                response_topic: str | None = None, via: str = "mqtt") -> TicketDraft:
    """The draft for one change request; SkippableError lists everything wrong with it."""
    values = read_fields(CHANGE_FIELDS, topic, payload, config.get("mapping"))
    problems: list[str] = []
    texts = {name: _text(values, name, problems) for name in
             ("request_id", "title", "reason", "requested_by", "risk", "change_type", "site", "line")}
    if not texts["title"]:
        problems.append("title is missing")
    request_id = texts["request_id"] or fallback_id
    if len(request_id) > REQUEST_ID_MAX:
        problems.append(f"the request id is longer than {REQUEST_ID_MAX} characters")
    window = {}
    for name in ("planned_start", "planned_end"):
        if name in values:
            try:
                window[name] = parse_time(values[name], name)
            except SkippableError as exc:
                problems.append(exc.message)
    if len(window) == 2 and window["planned_end"] <= window["planned_start"]:
        problems.append("planned_end must be after planned_start")
    targets = _targets(values.get("targets"), problems)
    risk = _choice(texts["risk"], "risk", RISKS, problems)
    change_type = _choice(texts["change_type"], "type", CHANGE_TYPES, problems)
    reply = ""
    if not problems:
        reply = state_topic(config, {k: v for k, v in texts.items() if v}, topic, request_id, response_topic)
        if len(reply) > TOPIC_MAX:
            problems.append(f"the state topic is longer than {TOPIC_MAX} characters")
    if problems:
        raise SkippableError("Not a change request this instance can read: " + "; ".join(problems) + ".")
    requester = texts["requested_by"]
    ci = f"{texts['site']}/{texts['line']}" if texts["site"] and texts["line"] else None
    source = f"MQTT topic {topic}" if via == "mqtt" else "HTTP"
    description = "\n".join(line for line in (
        texts["reason"] or "", "", f"Requested by {requester or 'the line system'} through {source}.",
        f"Request id: {request_id}") if line is not None)
    initial = config.get("initial_change_status") or "submitted"
    return TicketDraft(
        action="update",  # makes the change (in ``status``) or updates the one linked to this request id
        kind="change",
        status=None if initial == "draft" else initial,
        title=texts["title"] or "",
        description=description.strip(),
        requester_email=requester.lower() if requester and "@" in requester else None,
        requester_name=requester if requester and "@" not in requester else None,
        risk=risk,
        change_type=change_type or "normal",
        planned_start=window.get("planned_start"),
        planned_end=window.get("planned_end"),
        # No ci_name/ci_kind: the pipeline's update path refuses them on an existing change
        # (a re-sent request), so a line's item is made with the defaults on first use.
        ci=ci,
        department=department_for(ci, config.get("departments") or {}),
        tags=["line-change"],
        targets=targets,  # one change task per line or machine the request names
        external_id=f"{reply}#{request_id}",
        extra={"request_id": request_id, "via": via, "topic": topic},
    )


def state_message(message: OutboundMessage) -> tuple[str, bytes] | None:
    """The topic and JSON to publish for a change's state change, or None for nothing."""
    ticket, link = message.ticket, message.link
    if message.action != "transition" or ticket is None or link is None or ticket.kind != "change":
        return None
    reply, _, request_id = link.external_id.partition("#")
    topic = reply.replace("{ref}", ticket.ref)
    if not topic:
        return None
    new = str(message.payload.get("new") or ticket.status)
    body = {
        "request_id": request_id, "ref": ticket.ref, "state": new, "previous": message.payload.get("old"),
        "outcome": OUTCOMES.get(new, new), "title": ticket.title,
        "planned_start": ticket.planned_start.isoformat() if ticket.planned_start else None,
        "planned_end": ticket.planned_end.isoformat() if ticket.planned_end else None,
        "changed_at": ticket.updated_at.isoformat(), "delivery": message.idempotency_key,
    }
    return topic, json.dumps(body, separators=(",", ":")).encode()
