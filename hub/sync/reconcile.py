"""Reconcile: compare both sides of a sync instance's links and repair what drifted.

Incremental polls read what changed since a cursor; a remote search that is eventually
consistent (Jira), a record committed behind the overlap window, or a delivery given up
as a dead letter can still leave the two sides apart. The reconcile job, run on a
schedule and on demand, closes both gaps:

- inbound, the connector reads everything it covers once more from the start
  (:meth:`hub.sdk.connector.PollingSource.reconcile_state`); versions already stored cost
  nothing, because their idempotency keys are known, and the instance's cursor is left
  where it was;
- outbound, every link whose ticket now says something other than the last values both
  sides agreed on, and that has nothing waiting in the outbox, gets an update queued.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.delivery import outbox
from hub.models import ExternalLink, OutboxMessage, Ticket
from hub.sdk.sync import FieldRule
from hub.sdk.sync_fields import ticket_value
from hub.sdk.values import TicketInfo
from hub.sync.inbound import rules_for
from hub.tracker.info import ticket_info


def drifted_fields(rules: list[FieldRule], link: ExternalLink, ticket: TicketInfo) -> list[str]:
    """Remote fields where the hub's value is not the last agreed one (in the remote's words)."""
    synced: dict[str, str] = dict((link.data or {}).get("synced") or {})
    return [rule.remote for rule in rules
            if rule.writes and rule.remote in synced
            and rule.to_remote(ticket_value(ticket, rule.field)) != synced[rule.remote]]


def repair_outbound(session: Session, instance_id: int) -> int:
    """Queue an update for each drifted link with nothing pending; returns how many."""
    waiting = set(session.scalars(select(OutboxMessage.link_id).where(
        OutboxMessage.instance_id == instance_id, OutboxMessage.status == "pending",
        OutboxMessage.link_id.is_not(None))))
    repaired = 0
    rules: dict[str, list[FieldRule]] = {}  # per ticket kind, read once
    rows = session.execute(select(ExternalLink, Ticket).join(Ticket, Ticket.id == ExternalLink.ticket_id)
                           .where(ExternalLink.instance_id == instance_id).order_by(ExternalLink.id))
    for link, ticket in rows:
        if link.id in waiting or not (link.data or {}).get("synced"):
            continue
        if ticket.kind not in rules:
            rules[ticket.kind] = rules_for(session, instance_id, ticket.kind)
        fields = drifted_fields(rules[ticket.kind], link, ticket_info(session, ticket))
        if not fields:
            continue
        link.sync_version += 1
        outbox.enqueue(session, instance_id=instance_id, action="update", lane=f"link:{link.id}",
                       payload={"changes": {}, "reason": "reconcile: " + ", ".join(fields),
                                "sync_version": link.sync_version},
                       ticket_id=ticket.id, link_id=link.id, key=f"link:{link.id}:{link.sync_version}")
        repaired += 1
    return repaired
