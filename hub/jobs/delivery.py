"""Delivering outbox messages: lane by lane, in order, each attempt recorded.

A lane is delivered under a Redis lease, so two workers never send one external record's
updates at once (or out of order). A job takes a chunk of lanes: their leases in one
Redis round trip, their due messages in one query, the pushes outside any transaction
(a slow remote never holds a database connection or SQLite's write lock), and the
outcomes written in small groups.

Each group is claimed before it is pushed: one UPDATE counts an attempt for all of its
messages, in the transaction that writes the previous group's outcomes (so a run of N
pushes costs N/WRITE_GROUP + 1 transactions, one more than writing outcomes alone, and no
write per push). A worker killed mid-group therefore leaves every message it may have
pushed with its attempt counted: the resend carries an attempt above 1, and the
connector looks at the remote for the earlier copy before writing again. The bound:
after any crash, at most one copy of each create, comment and file reaches the remote
(the resent webhook-style deliveries carry the same idempotency key). Messages a group
did not push after all (their lane stopped behind a retry) get their attempt back.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select

from hub.core.runtime import Runtime
from hub.delivery import outbox
from hub.jobs.locks import Lease
from hub.models import AttachmentBlob, ConnectorInstance, ExternalLink, OutboxMessage, Ticket
from hub.plugins.instances import build_connector
from hub.sdk.connector import Pusher
from hub.sdk.errors import AuthenticationError, ConnectorError, FatalError, SkippableError
from hub.sdk.values import Attachment, OutboundMessage, PushResult
from hub.sync.effects import after_push, fold_push
from hub.tracker.info import link_info, ticket_info

log = logging.getLogger("hub.jobs.delivery")

DISABLED_WAIT_SECONDS = 60
#: Outcomes written per transaction: the most a killed worker can resend.
WRITE_GROUP = 20


def dispatched_key(runtime: Runtime, lane: str) -> str:
    return runtime.key("dispatched", lane)


@dataclass
class Attempt:
    """One push and how it went, waiting to be written."""

    message_id: int
    result: PushResult | None = None
    error: str | None = None
    final: bool = False
    retry_after: float | None = None
    authentication: bool = False
    wait: bool = False
    """Not pushed: the instance is disabled; try again later."""
    claimed: bool = False
    """Pushed after a claim, which counted its attempt already."""


def deliver_lanes(runtime: Runtime, lanes: list[str]) -> dict[str, int]:
    """Deliver every due message of these lanes; returns counts."""
    totals = {"delivered": 0, "retrying": 0, "dead": 0, "busy": 0}
    leases = _take_leases(runtime, lanes)
    totals["busy"] = len(lanes) - len(leases)
    if not leases:
        return totals
    connectors: dict[int, Any] = {}
    try:
        while True:
            outcomes = _deliver_round(runtime, sorted(leases), connectors)
            for outcome in outcomes:
                totals[outcome] += 1
            if not outcomes:
                break
            for lease in leases.values():
                lease.renew()
    finally:
        for connector in connectors.values():
            if connector is not None:
                connector.close()
        for lease in leases.values():
            with contextlib.suppress(RedisError):  # it expires by itself
                lease.release()
    return totals


def _take_leases(runtime: Runtime, lanes: list[str]) -> dict[str, Lease]:
    seconds = runtime.settings["LOCK_SECONDS"]
    leases = {lane: Lease(runtime.redis, runtime.key("lock", "lane", lane), seconds) for lane in lanes}
    with runtime.redis.pipeline() as pipe:
        for lane, lease in leases.items():
            pipe.delete(dispatched_key(runtime, lane))
            pipe.set(lease.key, lease.token, nx=True, px=lease.milliseconds)
        answers = pipe.execute()[1::2]
    held = {}
    for (lane, lease), taken in zip(leases.items(), answers, strict=True):
        lease.held = bool(taken)
        if lease.held:
            held[lane] = lease
    return held


def _deliver_round(runtime: Runtime, lanes: list[str], connectors: dict[int, Any]) -> list[str]:
    """Push the due heads of the lanes (up to a batch each); returns the outcomes written."""
    batch = int(runtime.settings["OUTBOX_BATCH_SIZE"])
    now = runtime.now()
    with runtime.db.reading() as session:
        messages = list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.lane.in_(lanes), OutboxMessage.status == "pending", ~outbox.held_clause(session))
            .order_by(OutboxMessage.id)
            .limit(batch * max(1, len(lanes)))))
        by_lane: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in messages:
            by_lane[message.lane].append(message)
        held = _prefetch(session, messages)
        plans = {lane: _prepare_lane(session, runtime, queue, connectors, now) for lane, queue in by_lane.items()}
        del held
    steps = [(lane, connector, item) for lane, plan in plans.items() for connector, item in plan]
    groups = [steps[start:start + WRITE_GROUP] for start in range(0, len(steps), WRITE_GROUP)]
    blocked: set[str] = set()
    links: dict[int, dict[str, Any]] = {}  # link data as this round's pushes left it
    if groups:
        _claim_first(runtime, _to_claim(groups[0], blocked))
    outcomes: list[str] = []
    for index, group in enumerate(groups):
        attempts, unpushed = _push_group(group, blocked, links)
        following = _to_claim(groups[index + 1], blocked) if index + 1 < len(groups) else []
        outcomes += _write(runtime, attempts, release=unpushed, claim=following)
    return outcomes


Step = tuple[str, Any, Any]
"""(lane, connector or None, OutboundMessage to push or Attempt already decided)."""


def _to_claim(group: list[Step], blocked: set[str]) -> list[int]:
    return [item.id for lane, connector, item in group if connector is not None and lane not in blocked]


def _claim_first(runtime: Runtime, ids: list[int]) -> None:
    if ids:
        with runtime.db.transaction() as session:
            outbox.claim(session, ids)


def _push_group(group: list[Step], blocked: set[str],
                links: dict[int, dict[str, Any]]) -> tuple[list[Attempt], list[int]]:
    """Push a claimed group; returns the attempts, and the claimed messages not pushed."""
    attempts: list[Attempt] = []
    unpushed: list[int] = []
    for lane, connector, item in group:
        if lane in blocked:
            if connector is not None:
                unpushed.append(item.id)
            continue
        if connector is None:
            attempts.append(item)
            continue
        attempt = _push(connector, _with_link_data(item, links))
        attempts.append(attempt)
        if attempt.error is not None and not attempt.final:
            blocked.add(lane)  # later messages of this lane wait behind the one that will be retried
        elif attempt.result is not None and item.link is not None:
            _remember_link_data(connector, item, attempt.result, links)
    return attempts, unpushed


def _with_link_data(item: OutboundMessage, links: dict[int, dict[str, Any]]) -> OutboundMessage:
    """The message with its link as an earlier push of this round left it: the messages
    were read before the round, and outcomes are written per group."""
    if item.link is None or item.link.id not in links:
        return item
    return replace(item, link=replace(item.link, data=links[item.link.id]))


def _remember_link_data(connector: Any, item: OutboundMessage, result: PushResult,
                        links: dict[int, dict[str, Any]]) -> None:
    assert item.link is not None
    effects = connector.write_effects() if hasattr(connector, "write_effects") else []
    data = links.get(item.link.id, dict(item.link.data or {}))
    links[item.link.id], _ = fold_push(data, effects, item.action, item.payload, result.data)


def _prepare_lane(session: Any, runtime: Runtime, queue: list[OutboxMessage], connectors: dict[int, Any],
                  now: Any) -> list[tuple[Any, Any]]:
    """What to push for one lane, in order, stopping at the first message not yet due."""
    plan: list[tuple[Any, Any]] = []
    for message in queue:
        if message.next_attempt_at > now:
            break
        instance = session.get(ConnectorInstance, message.instance_id) if message.instance_id else None
        if instance is None:
            plan.append((None, Attempt(message.id, error="No connector instance to deliver through.", final=True)))
            continue
        plugin = runtime.plugins.plugin_of_connector(instance.connector)
        if not instance.enabled or (plugin and not runtime.plugins.is_enabled(plugin)):
            plan.append((None, Attempt(message.id, error=f"{instance.slug} is disabled; waiting.", wait=True)))
            break
        if instance.id not in connectors:
            built = build_connector(session, instance)
            connectors[instance.id] = built if isinstance(built, Pusher) else None
        connector = connectors[instance.id]
        if connector is None:
            plan.append((None, Attempt(message.id, error=f"{instance.connector} cannot push.", final=True)))
            continue
        ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
        link = session.get(ExternalLink, message.link_id) if message.link_id else None
        files = _files(session, message)
        if files is None:
            plan.append((None, Attempt(message.id, error="The attachment is no longer kept.", final=True)))
            continue
        plan.append((connector, OutboundMessage(
            id=message.id, action=message.action, payload=dict(message.payload or {}),
            idempotency_key=message.idempotency_key, attempt=outbox.attempt_number(message),
            ticket=ticket_info(session, ticket) if ticket is not None else None,
            link=link_info(link) if link is not None else None, files=files,
            queued_at=message.created_at if message.created_at.tzinfo else message.created_at.replace(tzinfo=UTC),
        )))
    return plan


def _files(session: Any, message: OutboxMessage) -> list[Attachment] | None:
    """The content an ``attachment`` message sends (None when it is gone), read now so
    the outbox row never holds a copy of the file."""
    described = (message.payload or {}).get("attachment") if message.action == "attachment" else None
    if not described:
        return []
    blob = session.get(AttachmentBlob, str(described.get("sha256") or ""))
    if blob is None:
        return None
    return [Attachment(filename=str(described.get("filename") or "attachment"),
                       content_type=str(described.get("content_type") or "application/octet-stream"), data=blob.data)]


def _push(connector: Any, outbound: OutboundMessage) -> Attempt:
    try:
        return Attempt(outbound.id, result=connector.push(outbound) or PushResult(), claimed=True)
    except (FatalError, SkippableError) as exc:
        return Attempt(outbound.id, error=f"{exc.kind}: {exc.message}", final=True, claimed=True)
    except ConnectorError as exc:
        return Attempt(outbound.id, error=f"{exc.kind}: {exc.message}", retry_after=exc.retry_after,
                       authentication=isinstance(exc, AuthenticationError), claimed=True)
    except Exception as exc:  # a connector bug: retried like an outage, and logged loudly
        log.exception("push of outbox message %s failed", outbound.id)
        return Attempt(outbound.id, error=f"error: {type(exc).__name__}: {exc}", claimed=True)


def _write(runtime: Runtime, attempts: list[Attempt], *, release: list[int], claim: list[int]) -> list[str]:
    """One transaction: the group's outcomes, the claims it gives back, and the next group's claim."""
    if not (attempts or release or claim):
        return []
    with runtime.db.transaction() as session:
        outcomes = _record(session, runtime, attempts)
        outbox.release(session, release)
        outbox.claim(session, claim)
    return outcomes


def _record(session: Any, runtime: Runtime, attempts: list[Attempt]) -> list[str]:
    if not attempts:
        return []
    outcomes: list[str] = []
    # One query for the group's messages (and their tickets and links), not one each.
    loaded = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.id.in_([attempt.message_id for attempt in attempts]))))
    held = _prefetch(session, loaded)
    for attempt in attempts:
        message = session.get(OutboxMessage, attempt.message_id)
        if message is None or message.status != "pending":
            continue
        if attempt.wait:
            message.next_attempt_at = runtime.now() + timedelta(seconds=DISABLED_WAIT_SECONDS)
            message.last_error = attempt.error
            continue
        link = session.get(ExternalLink, message.link_id) if message.link_id else None
        if attempt.error is None:
            ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
            assert message.instance_id is not None
            _succeeded(session, runtime, message, ticket, link, message.instance_id, attempt)
            outcomes.append("delivered")
            continue
        _failed(session, runtime, message, link, attempt)
        outcomes.append("dead" if message.status == "dead" else "retrying")
    del held
    return outcomes


def _failed(session: Any, runtime: Runtime, message: OutboxMessage, link: ExternalLink | None,
            attempt: Attempt) -> None:
    assert attempt.error is not None
    outbox.mark_failed(session, message, attempt.error, final=attempt.final, retry_after=attempt.retry_after,
                       claimed=attempt.claimed)
    if link is not None:
        link.sync_state = "error"
        link.last_error = attempt.error[:4000]
    if attempt.authentication and message.instance_id:
        instance = session.get(ConnectorInstance, message.instance_id)
        if instance is not None:
            instance.last_error, instance.last_error_at = attempt.error, runtime.now()


def _prefetch(session: Any, messages: list[OutboxMessage]) -> list[Any]:
    """Load the messages' instances, tickets and links in three queries, so that the
    session.get calls that follow are answered from the identity map. The caller keeps
    the returned list until then: the identity map holds its objects only weakly."""
    held: list[Any] = []
    for model, ids in ((ConnectorInstance, {m.instance_id for m in messages if m.instance_id}),
                       (Ticket, {m.ticket_id for m in messages if m.ticket_id}),
                       (ExternalLink, {m.link_id for m in messages if m.link_id})):
        if ids:
            held += session.scalars(select(model).where(model.id.in_(sorted(ids))))
    return held


def _succeeded(session: Any, runtime: Runtime, message: OutboxMessage, ticket: Ticket | None,
               link: ExternalLink | None, instance_id: int, attempt: Attempt) -> None:
    result = attempt.result
    assert result is not None
    now = runtime.now()
    if link is None and ticket is not None and result.external_id:
        from hub.tracker.links import link_ticket

        link = link_ticket(session, ticket_id=ticket.id, instance_id=instance_id, external_id=result.external_id,
                           url=result.url, remote_version=result.remote_version, synced_hash=result.synced_hash)
        message.link_id = link.id
    if link is not None:
        link.sync_state = "ok"
        link.last_error = None
        link.last_synced_at = now
        if result.url:
            link.url = result.url[:1000]
        if result.remote_version is not None:
            link.remote_version = result.remote_version
        if result.synced_hash is not None:
            link.last_synced_hash = result.synced_hash
        # The answer's data, and what the remote changed by itself because of this write
        # (the hub's own doing, never a remote edit).
        after_push(session, message, link, ticket, result.data)
    outbox.mark_delivered(session, message, {"external_id": result.external_id, "detail": result.detail},
                          claimed=attempt.claimed)
