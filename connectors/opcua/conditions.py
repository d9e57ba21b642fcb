"""OPC UA condition events as the hub stores and reads them.

A condition event re-states the whole condition (active, acknowledged, retained), so
what *happened* is the difference from the previous event of the same condition: it
was raised, it fired again, it was acknowledged, it cleared. The listener keeps the
last state of each condition it saw (rebuilt by ConditionRefresh after every
connect) and stores that reading with the event; normalize then maps it to a draft.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.opcua.uaclient import ConditionEvent
from hub.sdk import RawEvent, SkippableError, TicketDraft
from hub.sdk.alarms import Alarm, alarm_draft, parse_time

TRANSITIONS = ("raised", "repeated", "acknowledged", "cleared", "unchanged")


@dataclass
class ConditionTracker:
    """The last (active, acked) of each condition, to tell what an event changed."""

    known: dict[str, tuple[bool, bool]] = field(default_factory=dict)

    def classify(self, event: ConditionEvent) -> str:
        before = self.known.get(event.condition_id)
        self.known[event.condition_id] = (event.active, event.acked)
        if before is None:
            # First sight (a fresh start, or the refresh after a reconnect): its state is news.
            return "raised" if event.active else "cleared"
        was_active, was_acked = before
        if event.active and not was_active:
            return "raised"
        if not event.active and was_active:
            return "cleared"
        if event.acked and not was_acked:
            return "acknowledged"
        return "repeated" if event.active else "unchanged"


def raw_condition_event(event: ConditionEvent, transition: str) -> RawEvent:
    """The stored form: the EventId is the idempotency key, so the re-statement of a
    condition during a ConditionRefresh (same EventId) changes nothing."""
    if event.event_id:
        key = "opcua:" + event.event_id.hex()
    else:
        seed = f"{event.condition_id}|{event.time}|{event.active}|{event.acked}|{event.message}"
        key = "opcua:sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    payload = {
        "event_id": event.event_id.hex(), "condition_id": event.condition_id, "source_name": event.source_name,
        "severity": event.severity, "message": event.message, "active": event.active, "acked": event.acked,
        "retain": event.retain, "time": event.time.isoformat() if event.time else None,
        "refresh": event.refresh, "transition": transition,
    }
    return RawEvent(idempotency_key=key, payload=payload)


def read_condition(payload: Mapping[str, Any], config: Mapping[str, Any]) -> TicketDraft:
    """The draft for a stored condition event under the instance's alarm policy."""
    transition = payload.get("transition")
    condition_id = payload.get("condition_id")
    if transition not in TRANSITIONS or not isinstance(condition_id, str) or not condition_id:
        raise SkippableError("Not a condition event this connector stored (transition or condition_id missing).")
    if transition == "unchanged":
        return TicketDraft(action="ignore", reason="The condition's state did not change (acknowledged or "
                                                   "retained flags only).")
    source = str(payload.get("source_name") or "")
    machines = config.get("machines") or {}
    values = {
        "condition_id": condition_id, "source": source, "machine": str(machines.get(source) or source),
        "site": str(config.get("site") or ""), "line": str(config.get("line") or ""),
        "code": condition_id, "text": str(payload.get("message") or source or condition_id)[:2000],
    }
    values = {name: value for name, value in values.items() if value}
    occurred = parse_time(payload["time"]) if payload.get("time") else None
    alarm = Alarm(values=values, active=transition in ("raised", "repeated"), occurred_at=occurred,
                  severity=payload.get("severity"),
                  details=(f"Condition: {condition_id}", f"Source: {source}"))
    draft = alarm_draft(alarm, config)
    draft.extra.update(condition_id=condition_id, event_id=payload.get("event_id"), transition=transition)
    if draft.action == "open":
        # Links a new incident to its condition (for acknowledging it there later). The event
        # id makes the link unique to this occurrence, so repeats still count by correlation.
        draft.external_id = f"{condition_id}|{payload.get('event_id') or ''}"
    elif transition == "acknowledged":
        draft.clear_policy = "note"
        draft.comment = f"Acknowledged on the OPC UA server ({payload.get('time') or 'now'})."
    return draft


def condition_of_link(external_id: str) -> tuple[str, bytes | None]:
    """The ConditionId and the EventId of the first event from a link's external id."""
    condition_id, _, event_hex = external_id.rpartition("|")
    try:
        return condition_id, bytes.fromhex(event_hex) if event_hex else None
    except ValueError:
        return condition_id, None
