"""What an OPC UA Alarms & Conditions event says: the fields the hub selects from every
event, and a :class:`ConditionEvent` read from them (connectors.opcua.uaclient streams them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncua import ua


@dataclass(frozen=True)
class ConditionEvent:
    """One condition event as the server reported it.

    ``refresh`` is True for events delivered between RefreshStart and RefreshEnd of a
    ConditionRefresh: a re-statement of a retained condition's current state (often
    with an EventId already seen), not a new transition.
    """

    event_id: bytes
    condition_id: str
    source_name: str
    severity: int
    message: str
    active: bool
    acked: bool
    retain: bool
    time: datetime | None
    refresh: bool


# The select clause, in order. Each field is read from the type that defines it, as
# Part 4 asks; the ConditionId is not a property but the condition's NodeId attribute,
# selected with an empty browse path on ConditionType. EventType is the one field
# beyond ConditionEvent: it tells the refresh markers apart from conditions.
#
# There is deliberately no where clause: PLC servers (TwinCAT and Codesys among them,
# as asyncua notes) reject or mishandle them, and OfType is often implemented without
# subtypes. Events that are not conditions have no ConditionId and are dropped here.
FIELDS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("event_id", ua.ObjectIds.BaseEventType, ("EventId",)),
    ("event_type", ua.ObjectIds.BaseEventType, ("EventType",)),
    ("source_name", ua.ObjectIds.BaseEventType, ("SourceName",)),
    ("time", ua.ObjectIds.BaseEventType, ("Time",)),
    ("severity", ua.ObjectIds.BaseEventType, ("Severity",)),
    ("message", ua.ObjectIds.BaseEventType, ("Message",)),
    ("condition_id", ua.ObjectIds.ConditionType, ()),
    ("retain", ua.ObjectIds.ConditionType, ("Retain",)),
    ("active", ua.ObjectIds.AlarmConditionType, ("ActiveState", "Id")),
    ("acked", ua.ObjectIds.AcknowledgeableConditionType, ("AckedState", "Id")),
)
FIELD_INDEX = {name: i for i, (name, _, _) in enumerate(FIELDS)}


def standard_node(identifier: int) -> ua.NodeId:
    """A NodeId in namespace 0, from ``ua.ObjectIds``."""
    # asyncua annotates NodeId's identifier with its wire types (Int32, ...), which
    # plain ints from ua.ObjectIds do not satisfy for mypy; at runtime they are ints.
    return ua.NodeId(identifier)  # type: ignore[arg-type]


REFRESH_START = standard_node(ua.ObjectIds.RefreshStartEventType)
REFRESH_END = standard_node(ua.ObjectIds.RefreshEndEventType)
# Both mean "your picture may be incomplete": the server asks for a refresh, or its
# queue for our monitored item overflowed and dropped events.
REFRESH_NEEDED = (
    standard_node(ua.ObjectIds.RefreshRequiredEventType),
    standard_node(ua.ObjectIds.EventQueueOverflowEventType),
)


def select_clauses() -> list[ua.SimpleAttributeOperand]:
    clauses = []
    for _name, type_id, path in FIELDS:
        op = ua.SimpleAttributeOperand()
        op.TypeDefinitionId = standard_node(type_id)
        op.BrowsePath = [ua.QualifiedName(part, 0) for part in path]
        op.AttributeId = ua.AttributeIds.Value if path else ua.AttributeIds.NodeId
        clauses.append(op)
    return clauses


def field_value(fields: list[ua.Variant], name: str) -> Any:
    index = FIELD_INDEX[name]
    if index >= len(fields) or fields[index] is None:
        return None
    return fields[index].Value


def condition_event(fields: list[ua.Variant], refresh: bool) -> ConditionEvent | None:
    condition_id = field_value(fields, "condition_id")
    if not isinstance(condition_id, ua.NodeId) or condition_id.is_null():
        return None  # not a condition: nothing the hub could track or acknowledge
    message = field_value(fields, "message")
    acked = field_value(fields, "acked")
    time = field_value(fields, "time")
    return ConditionEvent(
        event_id=bytes(field_value(fields, "event_id") or b""),
        condition_id=condition_id.to_string(),
        source_name=field_value(fields, "source_name") or "",
        severity=int(field_value(fields, "severity") or 0),
        message=(message.Text if isinstance(message, ua.LocalizedText) else message) or "",
        active=bool(field_value(fields, "active")),
        # A condition without AckedState (plain ConditionType) has nothing to
        # acknowledge, so nothing is outstanding.
        acked=True if acked is None else bool(acked),
        retain=bool(field_value(fields, "retain")),
        time=time if isinstance(time, datetime) else None,
        refresh=refresh,
    )
