"""The transactional outbox: deliveries owed to the outside, written with their cause.

A change that an external system or a person must hear about writes an outbox row in the
same transaction as the change, so a Redis or network outage delays the delivery and
never loses it. Rows are grouped in *lanes* (one external record, one recipient): a lane
delivers strictly in id order, lanes are independent. A failed delivery waits with
exponential backoff and jitter (or the remote's Retry-After) and is dead-lettered after
its last attempt, where an admin can inspect and replay it.

A dead letter holds its lane: the later updates of that record wait behind it ("held
behind" on the admin page) and go, in order, once it is replayed and delivered or
discarded. Otherwise a replay would land an older change on the remote after a newer
one. Two exceptions: mail to a person and a notification post to a team (one that could not
be sent holds no other), and connectors whose every push sends the ticket's state as it is
at delivery (``Pusher.pushes_state``: the ITSM sync connectors), where a later message
supersedes an earlier one and holding it back would only keep the remote out of date.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from hub.core.runtime import Runtime, runtime_of
from hub.models import OutboxMessage
from hub.sdk.tracker_errors import Conflict, NotFound

STATUSES = ("pending", "delivered", "dead", "discarded")
RETRY_AFTER_LIMIT = 86_400.0
#: Actions whose order does not matter: a dead one holds nothing behind it (a mail, a post
#: telling a team's chat about a ticket: each stands alone).
UNORDERED_ACTIONS = ("mail", "notification")


#: How long the list of state-pushing instances is reused (it changes with admin edits only).
STATE_PUSHERS_SECONDS = 5.0


def state_pushers(session: Session) -> frozenset[int]:
    """Instances whose connector pushes state (``Pusher.pushes_state``): their dead letters hold nothing."""
    import time

    from hub.models import ConnectorInstance

    runtime = runtime_of(session)
    cached = runtime.caches.get("state_pushers")
    if cached is not None and time.monotonic() - cached[0] < STATE_PUSHERS_SECONDS:
        return cached[1]
    found = frozenset(
        instance_id for instance_id, connector in session.execute(select(ConnectorInstance.id,
                                                                         ConnectorInstance.connector))
        if getattr(runtime.plugins.connectors.get(connector), "pushes_state", False))
    runtime.caches["state_pushers"] = (time.monotonic(), found)
    return found


def _holding(session: Session, dead: Any) -> list[Any]:
    """Conditions under which the dead letter ``dead`` holds its lane."""
    conditions = [dead.status == "dead", dead.action.not_in(UNORDERED_ACTIONS)]
    free = state_pushers(session)
    if free:
        conditions.append(or_(dead.instance_id.is_(None), dead.instance_id.not_in(free)))
    return conditions


def held_clause(session: Session, message: Any = OutboxMessage) -> Any:
    """SQL: ``message`` waits behind an earlier dead letter of its lane."""
    dead = aliased(OutboxMessage)
    return exists().where(dead.lane == message.lane, dead.id < message.id, *_holding(session, dead))


def held_behind(session: Session, messages: list[OutboxMessage]) -> dict[int, int]:
    """{pending message id: the id of the dead letter it waits behind} for these messages."""
    lanes = {message.lane for message in messages if message.status == "pending"}
    if not lanes:
        return {}
    first_dead = dict(session.execute(
        select(OutboxMessage.lane, func.min(OutboxMessage.id)).where(
            OutboxMessage.lane.in_(lanes), *_holding(session, OutboxMessage)).group_by(OutboxMessage.lane)).all())
    return {message.id: first_dead[message.lane] for message in messages
            if message.status == "pending" and message.lane in first_dead and first_dead[message.lane] < message.id}


def enqueue(
    session: Session,
    *,
    instance_id: int | None,
    action: str,
    lane: str,
    payload: dict[str, Any] | None = None,
    ticket_id: int | None = None,
    link_id: int | None = None,
    key: str | None = None,
    delay_seconds: float = 0,
) -> OutboxMessage:
    """Owe a delivery; it commits or rolls back with the caller's transaction.

    ``key`` makes the row idempotent (a second enqueue with the same key is ignored and
    returns the first row); it defaults to a fresh UUID. It is also sent to the remote
    as the delivery's idempotency key.
    """
    now = runtime_of(session).now()
    message = OutboxMessage(
        lane=lane[:255], instance_id=instance_id, ticket_id=ticket_id, link_id=link_id, action=action,
        payload=payload or {}, idempotency_key=(key or uuid.uuid4().hex)[:100], status="pending", attempts=0,
        next_attempt_at=now + timedelta(seconds=delay_seconds), created_at=now, result={},
    )
    if key is not None:
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == message.idempotency_key))
        if existing is not None:
            return existing
    session.add(message)
    session.flush()
    session.info.setdefault("hub_outbox_lanes", set()).add(message.lane)
    return message


def due_lanes(session: Session, *, limit: int = 1000) -> list[str]:
    """Lanes whose oldest pending message is due now (a waiting head holds its lane)."""
    now = runtime_of(session).now()
    earlier = aliased(OutboxMessage)
    head_is_this = ~exists().where(and_(earlier.lane == OutboxMessage.lane, earlier.status == "pending",
                                        earlier.id < OutboxMessage.id))
    query = (select(OutboxMessage.lane)
             .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now, head_is_this,
                    ~held_clause(session))
             .order_by(OutboxMessage.id).limit(limit))
    return list(dict.fromkeys(session.scalars(query)))


def pending_in_lane(session: Session, lane: str, *, limit: int) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.lane == lane,
                                                            OutboxMessage.status == "pending",
                                                            ~held_clause(session))
                                .order_by(OutboxMessage.id).limit(limit)))


def backoff_seconds(runtime: Runtime, attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, never sooner than the remote asked."""
    base = float(runtime.settings["OUTBOX_BACKOFF_SECONDS"])
    cap = float(runtime.settings["OUTBOX_BACKOFF_MAX_SECONDS"])
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    wait = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - spreading retries, not cryptography
    if retry_after is not None:
        # The remote's word wins over our own cap, within reason (a day).
        wait = max(wait, min(retry_after, RETRY_AFTER_LIMIT))
    return wait


def attempt_number(message: OutboxMessage) -> int:
    """The attempt the next push of this message is, as its connector is told.

    Above 1 whenever an earlier push may have reached the remote: an attempt counted by
    a claim or a failure, and a replayed dead letter too (its attempts start again from
    0, its last error stays). A message that only waited for a disabled instance counts
    as a repeat as well: one read too many, never a copy too many.
    """
    return message.attempts + 1 + (1 if message.attempts == 0 and message.last_error else 0)


def claim(session: Session, ids: list[int]) -> None:
    """Count an attempt for each of these pending messages before it is pushed, in one UPDATE.

    A worker killed after a push reached the remote, and before its outcome was written,
    leaves the message pending with the attempt counted: the next push carries an attempt
    above 1, which tells the connector that an earlier one may have landed and that it
    must look at the remote before writing again (see ``OutboundMessage.attempt``).
    """
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
                        .values(attempts=OutboxMessage.attempts + 1))


def release(session: Session, ids: list[int]) -> None:
    """Give back the attempt claimed for messages that were not pushed after all (their
    lane stopped behind a message that will be retried)."""
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending",
                                                    OutboxMessage.attempts > 0)
                        .values(attempts=OutboxMessage.attempts - 1))


def mark_delivered(session: Session, message: OutboxMessage, result: dict[str, Any], *,
                   claimed: bool = False) -> None:
    """Record a delivery; ``claimed``: its attempt was counted by :func:`claim` already."""
    runtime = runtime_of(session)
    message.status = "delivered"
    message.delivered_at = runtime.now()
    message.attempts += 0 if claimed else 1
    message.last_error = None
    message.result = result


def mark_failed(session: Session, message: OutboxMessage, error: str, *, final: bool,
                retry_after: float | None = None, claimed: bool = False) -> None:
    """Record a failed attempt: wait and retry, or dead-letter it (final, or out of attempts)."""
    runtime = runtime_of(session)
    message.attempts += 0 if claimed else 1
    message.last_error = error[:4000]
    if final or message.attempts >= int(runtime.settings["OUTBOX_MAX_ATTEMPTS"]):
        message.status = "dead"
        return
    message.next_attempt_at = runtime.now() + timedelta(seconds=backoff_seconds(runtime, message.attempts,
                                                                                retry_after))


@dataclass
class OutboxStats:
    pending: int
    due: int
    dead: int
    delivered: int
    oldest_pending_at: datetime | None


def stats(session: Session) -> OutboxStats:
    now = runtime_of(session).now()
    counts = dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    due = session.scalar(select(func.count()).where(OutboxMessage.status == "pending",
                                                    OutboxMessage.next_attempt_at <= now)) or 0
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending"))
    return OutboxStats(pending=int(counts.get("pending", 0)), due=int(due), dead=int(counts.get("dead", 0)),
                       delivered=int(counts.get("delivered", 0)), oldest_pending_at=oldest)


def list_messages(session: Session, *, status: str | None = None, lane: str | None = None,
                  before: int | None = None, limit: int = 50) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    if lane:
        query = query.where(OutboxMessage.lane == lane)
    if before:
        query = query.where(OutboxMessage.id < before)
    return list(session.scalars(query))


def get_message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"No outbox message {message_id}.")
    return message


def replay(session: Session, message_id: int) -> OutboxMessage:
    """Give a dead letter a fresh set of attempts, at the end of nothing: it goes now."""
    message = get_message(session, message_id)
    if message.status != "dead":
        raise Conflict(f"Message {message_id} is {message.status}; only dead letters are replayed.")
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = runtime_of(session).now()
    session.info.setdefault("hub_outbox_lanes", set()).add(message.lane)
    return message


def waiting_behind(session: Session, message: OutboxMessage) -> int:
    """How many pending messages of its lane a dead letter holds back."""
    if message.status != "dead" or message.action in UNORDERED_ACTIONS or \
            message.instance_id in state_pushers(session):
        return 0
    return int(session.scalar(select(func.count()).where(
        OutboxMessage.lane == message.lane, OutboxMessage.status == "pending", OutboxMessage.id > message.id)) or 0)


def discard(session: Session, message_id: int, *, by: str) -> OutboxMessage:
    """Give up on a dead letter for good; the updates held behind it go on, in order."""
    message = get_message(session, message_id)
    if message.status != "dead":
        raise Conflict(f"Message {message_id} is {message.status}; only dead letters are discarded.")
    message.status = "discarded"
    message.result = {**(message.result or {}), "discarded_by": by,
                      "discarded_at": runtime_of(session).now().isoformat()}
    session.info.setdefault("hub_outbox_lanes", set()).add(message.lane)
    return message


def replay_all_dead(session: Session, *, instance_id: int | None = None) -> int:
    dead = [OutboxMessage.status == "dead"]
    if instance_id is not None:
        dead.append(OutboxMessage.instance_id == instance_id)
    lanes = set(session.scalars(select(OutboxMessage.lane).where(*dead).distinct()))
    result = session.execute(update(OutboxMessage).where(*dead).values(
        status="pending", attempts=0, next_attempt_at=runtime_of(session).now()))
    session.info.setdefault("hub_outbox_lanes", set()).update(lanes)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def present(message: OutboxMessage, held: dict[int, int] | None = None) -> dict[str, Any]:
    """The message as the API and pages show it; ``held`` from :func:`held_behind`."""
    shown = {key: getattr(message, key) for key in (
        "id", "lane", "instance_id", "ticket_id", "link_id", "action", "payload", "idempotency_key", "status",
        "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at", "result")}
    shown["held_behind"] = (held or {}).get(message.id)
    return shown
