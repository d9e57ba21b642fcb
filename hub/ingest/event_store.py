"""Storing raw events once per (instance, idempotency key), one at a time or in bulk.

A re-delivery of a stored key is a duplicate and changes nothing. Where the sender
chooses the key (a webhook's Idempotency-Key or id field, a web form's submission id),
the same key with *other* content is not a re-delivery: acknowledging it would drop the
new event unseen, and a web form would hand out the first ticket's status link. Those
callers pass ``refuse_changed=True``: a stored key is then compared with what it carries
now, and other content raises IdempotencyConflict (409).

The comparison happens only when a key repeats, so storing costs nothing more. It compares
the JSON as values (key order and spacing do not count, nor the transport details in
``meta``), and numbers as numbers: PostgreSQL's JSONB gives ``1.5e300`` back as 301 digits.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.sdk.storable import storable
from hub.sdk.tracker_errors import Conflict
from hub.sdk.values import IngestResult, RawEvent
from hub.tracker.correlate import ignoring_conflict

CONFLICTS_NAMED = 5


class IdempotencyConflict(Conflict):
    """An idempotency key already stored with other content: a new event needs a new key."""

    def __init__(self, keys: list[str]) -> None:
        shown = ", ".join(repr(key) for key in keys[:CONFLICTS_NAMED])
        more = f" (and {len(keys) - CONFLICTS_NAMED} more)" if len(keys) > CONFLICTS_NAMED else ""
        super().__init__(
            f"The idempotency key {shown}{more} was already used for an event with other content; nothing was "
            "stored. Retry with exactly the same content, or send a new event with a new key.",
            idempotency_keys=keys[:CONFLICTS_NAMED])


def event_key(raw: RawEvent) -> str:
    key = storable((raw.idempotency_key or "").strip())
    if not key:
        raise ValueError("an event needs an idempotency key")
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def same_json(stored: Any, sent: Any) -> bool:
    """Whether two JSON values say the same: equal text, booleans and nulls, numerically
    equal numbers (an integer and a float compare as floats), the same members and items."""
    if isinstance(stored, bool) or isinstance(sent, bool):
        return type(stored) is type(sent) and stored == sent
    if isinstance(stored, int | float) and isinstance(sent, int | float):
        if isinstance(stored, int) and isinstance(sent, int):
            return stored == sent
        try:
            return float(stored) == float(sent)
        except OverflowError:  # an integer beyond any float cannot equal one
            return False
    if isinstance(stored, dict) and isinstance(sent, dict):
        return stored.keys() == sent.keys() and all(same_json(stored[key], sent[key]) for key in stored)
    if isinstance(stored, list) and isinstance(sent, list):
        return len(stored) == len(sent) and all(same_json(a, b) for a, b in zip(stored, sent, strict=True))
    return type(stored) is type(sent) and stored == sent


#: The mark an event's ``meta`` carries once retention removed its content.
PRUNED = "pruned_at"


def _same_content(payload: Any, body: bytes | None, row: dict[str, Any], meta: Any = None) -> bool:
    if isinstance(meta, dict) and PRUNED in meta:
        # Its content is gone (HUB_EVENT_RETENTION_DAYS): the key alone says it is the
        # event the hub already applied, which is what an idempotency key is for.
        return True
    return same_json(payload, row["payload"]) and body == row["body"]


def _row(instance_id: int, key: str, raw: RawEvent, now: Any) -> dict[str, Any]:
    return {"instance_id": instance_id, "idempotency_key": key, "received_at": now,
            "content_type": raw.content_type[:100], "payload": storable(raw.payload), "body": raw.body,
            "meta": storable(raw.meta or {}), "status": "received", "attempts": 0}


def store_event(session: Session, instance_id: int, raw: RawEvent, *,
                refuse_changed: bool = False) -> tuple[int, IngestResult | None]:
    """Store a raw event once per (instance, idempotency key).

    Returns the event's id and, when the key was stored before, the first delivery's outcome
    (read with the stored row in one statement: a repeat costs an INSERT that conflicts, one
    SELECT and the COMMIT).
    """
    from hub.models import InboundEvent

    key = event_key(raw)
    row = _row(instance_id, key, raw, runtime_of(session).now())
    # Core statements on the session's connection: through Session.execute each paid for the
    # ORM's execution machinery (about a tenth of a repeat's CPU), and there is nothing to flush.
    connection = session.connection()
    new_id = connection.execute(ignoring_conflict(connection.dialect.name, InboundEvent.__table__,
                                                  ["instance_id", "idempotency_key"]), row).scalar()
    if new_id is not None:
        return int(new_id), None
    existing = connection.execute(_stored_before(refuse_changed), {"instance_id": instance_id, "key": key}).one()
    if refuse_changed and not _same_content(existing.payload, existing.body, row, existing.meta):
        raise IdempotencyConflict([key])
    return int(existing.id), IngestResult(event_id=int(existing.id), status=existing.status, action=existing.action,
                                          ticket_ref=existing.ref, reason=existing.reason, duplicate=True)


@functools.cache
def _stored_before(with_content: bool) -> Select[Any]:
    """The first delivery of a key: its row, outcome and ticket (with what it carried, to compare).
    Built once per process: building it took about 0.09 ms of each repeat (of some 2 ms)."""
    from hub.models import InboundEvent, Ticket

    content = (InboundEvent.payload, InboundEvent.body, InboundEvent.meta) if with_content else ()
    return (select(InboundEvent.id, InboundEvent.status, InboundEvent.action, InboundEvent.reason, Ticket.ref, *content)
            .outerjoin(Ticket, Ticket.id == InboundEvent.ticket_id)
            .where(InboundEvent.instance_id == bindparam("instance_id"),
                   InboundEvent.idempotency_key == bindparam("key")))


def store_events(session: Session, instance_id: int, raws: list[RawEvent], *, chunk: int = 1000,
                 refuse_changed: bool = False) -> dict[str, int]:
    """Store many raw events in multi-row inserts; returns {key: id} of those newly stored.

    Keys already stored (and repeats within the batch) are left out: they are duplicates.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from hub.models import InboundEvent

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = runtime_of(session).now()
    rows: dict[str, dict[str, Any]] = {}
    changed: list[str] = []
    for raw in raws:
        key = event_key(raw)
        row = _row(instance_id, key, raw, now)
        first = rows.setdefault(key, row)
        if refuse_changed and first is not row and not _same_content(first["payload"], first["body"], row):
            changed.append(key)
    if changed:
        raise IdempotencyConflict(changed)
    values = list(rows.values())
    if dialect is postgresql:
        stored = _store_events_unnest(session, instance_id, now, values, chunk=max(chunk, 5000))
    else:
        stored = {}
        statement = (dialect.insert(InboundEvent)
                     .on_conflict_do_nothing(index_elements=["instance_id", "idempotency_key"])
                     .returning(InboundEvent.id, InboundEvent.idempotency_key))
        for start in range(0, len(values), chunk):
            for ident, key in session.execute(statement, values[start:start + chunk]):
                stored[key] = int(ident)
    if refuse_changed and len(stored) < len(rows):
        _refuse_changed_repeats(session, instance_id, {key: row for key, row in rows.items() if key not in stored})
    return stored


def _refuse_changed_repeats(session: Session, instance_id: int, repeats: dict[str, dict[str, Any]]) -> None:
    """Compare the keys that were stored before with what they carry now."""
    from hub.models import InboundEvent

    changed: list[str] = []
    keys = list(repeats)
    for start in range(0, len(keys), 1000):
        found = session.execute(select(InboundEvent.idempotency_key, InboundEvent.payload, InboundEvent.body,
                                       InboundEvent.meta)
                                .where(InboundEvent.instance_id == instance_id,
                                       InboundEvent.idempotency_key.in_(keys[start:start + 1000])))
        changed.extend(stored.idempotency_key for stored in found
                       if not _same_content(stored.payload, stored.body, repeats[stored.idempotency_key],
                                            stored.meta))
    if changed:
        raise IdempotencyConflict(sorted(changed))


_UNNEST_INSERT = """
    INSERT INTO inbound_events (instance_id, idempotency_key, received_at, content_type, payload, body, meta,
                                status, attempts)
    SELECT :instance_id, k, :received_at, ct, p, b, m, 'received', 0
    FROM unnest(CAST(:keys AS text[]), CAST(:content_types AS text[]), CAST(:payloads AS jsonb[]),
                CAST(:bodies AS bytea[]), CAST(:metas AS jsonb[])) AS t(k, ct, p, b, m)
    ON CONFLICT (instance_id, idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
"""


def _store_events_unnest(session: Session, instance_id: int, now: Any, values: list[dict[str, Any]], *,
                         chunk: int) -> dict[str, int]:
    """PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) per chunk.

    A multi-row VALUES list has ten parameters a row, and the driver's parsing of such a
    statement cost more than the database's work (90 us a row); five arrays cost nothing.
    """
    from psycopg.types.json import Jsonb
    from sqlalchemy import text

    stored: dict[str, int] = {}
    statement = text(_UNNEST_INSERT)
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        params = {
            "instance_id": instance_id, "received_at": now,
            "keys": [row["idempotency_key"] for row in part],
            "content_types": [row["content_type"] for row in part],
            "payloads": [Jsonb(row["payload"]) for row in part],
            "bodies": [row["body"] for row in part],
            "metas": [Jsonb(row["meta"]) for row in part],
        }
        for ident, key in session.execute(statement, params):
            stored[key] = int(ident)
    return stored
