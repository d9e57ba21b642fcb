"""The remote side effects of the hub's own writes, in the agreed baseline.

A sync connector declares what its remote changes by itself when the hub writes
(:mod:`hub.sdk.write_effects`). Here the engine keeps them out of the conflict rules:

- after a push (:func:`after_push`), each declared effect of that write moves the link's
  agreed values (``synced``) to what the remote now holds, so neither the next push nor
  the next poll takes it for a remote edit. Unless the push saw the value itself, both the
  value before and the one after stay the hub's own (``own_effects``) until the next push
  that brings the fields in step, or a poll that shows the effect done or another value:
  an effect that runs after the answer (an automation) may not show at once;
- a poll that reads the record while a write is still in flight (pushed, its outcome not
  yet written, or killed in between) recognises that write's effect the same way
  (:func:`own_values`);
- where the hub's ticket says something else than the effect left (a reply reopened a
  ticket the hub has resolved), the hub's value is sent: the effect is the hub's doing,
  not the remote's decision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.delivery import outbox
from hub.models import ConnectorInstance, ExternalLink, OutboxMessage, Ticket
from hub.sdk.sync import values_hash
from hub.sdk.sync_fields import ticket_value
from hub.sdk.write_effects import OBSERVED, OWN_EFFECTS, WriteEffect, effects_from, field_writes, writes_of

FIELD_WRITES_EXCLUDED = ("comment", "attachment")
"""Actions that write no fields to a linked record; every other one brings its fields in step."""


def effects_for(session: Session, instance_id: int) -> list[WriteEffect]:
    instance = session.get(ConnectorInstance, instance_id)
    if instance is None:
        return []
    cls = runtime_of(session).plugins.connectors.get(instance.connector)
    return effects_from(instance.config or {}, getattr(cls, "default_write_effects", ()))


def fold_push(data: dict[str, Any], effects: list[WriteEffect], action: str, payload: dict[str, Any],
              answer: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A link's data after a push: the push's answer (``PushResult.data``) merged in, and
    the declared effects of its write folded into the agreed values; and the fields they moved.

    The delivery uses it twice: for the later pushes of the same link within one group
    (their outcomes are written together), and when it writes the outcome.
    """
    before = dict(data.get("synced") or {})
    merged = {**data, **{key: value for key, value in answer.items() if key != OBSERVED}}
    synced: dict[str, str] = dict(merged.get("synced") or {})
    own: dict[str, list[str]] = dict(merged.get(OWN_EFFECTS) or {})
    if "synced" in answer:
        # The push read the record and settled each field it writes: sent the hub's value,
        # found it agreeing, or left a remote edit to the poll. No effect is pending any more.
        own = {}
    observed = answer.get(OBSERVED)
    writes = writes_of(action, payload) | field_writes(before, synced)
    moved = _apply(effects, writes, synced, own, observed if isinstance(observed, dict) else None)
    if "synced" in merged or moved:
        merged["synced"] = synced
    if own:
        merged[OWN_EFFECTS] = own
    else:
        merged.pop(OWN_EFFECTS, None)
    return merged, moved


def after_push(session: Session, message: OutboxMessage, link: ExternalLink, ticket: Ticket | None,
               answer: dict[str, Any]) -> None:
    """Record a delivered message's answer on its link, with the declared effects of its
    write; where they left a field the hub's ticket disagrees with, the hub's value goes out."""
    data, moved = fold_push(dict(link.data or {}), effects_for(session, link.instance_id), message.action,
                            dict(message.payload or {}), answer)
    if data != (link.data or {}):
        link.data = data
    if not moved:
        return
    synced = data["synced"]
    link.last_synced_hash = values_hash(synced)
    if ticket is not None and _hub_disagrees(session, link, ticket, synced, moved) \
            and not _fields_pending(session, message):
        send_hub_values(session, link, ticket, reason="own write side effect: " + ", ".join(sorted(moved)))


def _apply(effects: list[WriteEffect], writes: set[str], synced: dict[str, str], own: dict[str, list[str]],
           observed: dict[str, Any] | None) -> list[str]:
    moved = []
    for effect in effects:
        before = synced.get(effect.field)
        if not effect.caused_by(writes) or not effect.applies_to(before):
            continue
        if observed is not None and effect.field in observed:
            if str(observed[effect.field]) != effect.to:
                continue  # the push saw the record after its write: this site does not do it
        else:
            own[effect.field] = [str(before), effect.to]
        synced[effect.field] = effect.to
        moved.append(effect.field)
    return moved


def _hub_disagrees(session: Session, link: ExternalLink, ticket: Ticket, synced: dict[str, str],
                   moved: list[str]) -> bool:
    from hub.sync.inbound import rules_for
    from hub.tracker.info import ticket_info

    info = ticket_info(session, ticket)
    return any(rule.writes and rule.remote in moved and rule.to_remote(ticket_value(info, rule.field))
               != synced[rule.remote] for rule in rules_for(session, link.instance_id, ticket.kind))


def _fields_pending(session: Session, message: OutboxMessage) -> bool:
    """Whether a later message of the lane will bring the fields in step anyway."""
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.lane == message.lane, OutboxMessage.status == "pending", OutboxMessage.id > message.id,
        OutboxMessage.action.not_in(FIELD_WRITES_EXCLUDED)).limit(1)) is not None


def send_hub_values(session: Session, link: ExternalLink, ticket: Ticket, *, reason: str) -> None:
    """Queue an update that sends the hub's values: the push sees the remote's values as
    agreed and writes the hub's where they differ."""
    link.sync_version += 1
    outbox.enqueue(session, instance_id=link.instance_id, action="update", lane=f"link:{link.id}",
                   payload={"changes": {}, "reason": reason, "sync_version": link.sync_version},
                   ticket_id=ticket.id, link_id=link.id, key=f"link:{link.id}:{link.sync_version}")


def own_values(session: Session, link: ExternalLink, synced: dict[str, str]) -> dict[str, dict[str, str]]:
    """Remote values a poll must take as the hub's own doing, per field: value read -> the
    agreed value it stands for.

    Two sources: an effect folded in after a push that may not show yet (the value before
    stands for the value after), and a write still in flight (claimed, and pushed or killed
    before its outcome was written: pending with its attempt counted and no failure
    recorded) whose effect shows already.
    """
    ours: dict[str, dict[str, str]] = {}
    for name, (before, after) in dict((link.data or {}).get(OWN_EFFECTS) or {}).items():
        ours.setdefault(name, {}).update({before: after, after: after})
    effects = effects_for(session, link.instance_id)
    if not effects:
        return ours
    writes: set[str] = set()
    for action, payload in session.execute(select(OutboxMessage.action, OutboxMessage.payload).where(
            OutboxMessage.lane == f"link:{link.id}", OutboxMessage.status == "pending",
            OutboxMessage.attempts > 0, OutboxMessage.last_error.is_(None),
            OutboxMessage.action.in_(FIELD_WRITES_EXCLUDED))):
        writes |= writes_of(action, payload or {})
    for effect in effects:
        if effect.caused_by(writes) and effect.applies_to(synced.get(effect.field)):
            ours.setdefault(effect.field, {})[effect.to] = effect.to
    return ours


def forget_seen(link_data: dict[str, Any], record: dict[str, str]) -> None:
    """Drop the pending effects a read settled: shown done, or replaced by another value."""
    own = dict(link_data.get(OWN_EFFECTS) or {})
    kept = {name: pair for name, pair in own.items() if record.get(name, pair[0]) == pair[0]}
    if kept:
        link_data[OWN_EFFECTS] = kept
    else:
        link_data.pop(OWN_EFFECTS, None)
