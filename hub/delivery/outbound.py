"""Which outside systems hear about a ticket change, and the echo rule.

Two kinds of targets: the instances the ticket is linked to (the same record in
ServiceNow, a line system's change), and instances that subscribe to every change (an
outbound webhook with ``push_scope = all``). A change that came from an instance is
never sent back to it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.delivery import outbox
from hub.models import ConnectorInstance, ExternalLink
from hub.sdk.actors import Actor
from hub.sdk.connector import Pusher

SUBSCRIBERS_CACHE_SECONDS = 2.0


def _pushers(session: Session) -> dict[int, tuple[str, str]]:
    """Enabled push-capable instances: id -> (push mode, slug), cached briefly per process."""
    runtime = runtime_of(session)
    cached = runtime.caches.get("pushers")
    if cached is not None and time.monotonic() - cached[0] < SUBSCRIBERS_CACHE_SECONDS:
        return cached[1]
    found: dict[int, tuple[str, str]] = {}
    for instance in session.scalars(select(ConnectorInstance).where(ConnectorInstance.enabled.is_(True))):
        cls = runtime.plugins.connectors.get(instance.connector)
        if cls is not None and issubclass(cls, Pusher):
            found[instance.id] = (cls.push_mode(instance.config or {}), instance.slug)
    runtime.caches["pushers"] = (time.monotonic(), found)
    return found


def fan_out(session: Session, *, ticket_id: int, action: str, payload: dict[str, Any], actor: Actor) -> int:
    """Write one outbox message per target of this change; returns how many."""
    pushers = {ident: entry for ident, entry in _pushers(session).items() if entry[0] != "none"}
    if not pushers:
        return 0
    written = 0
    linked: set[int] = set()
    # A ticket being created has no links yet (they are made after it), so skip the query.
    links: list[ExternalLink] = [] if action == "create" else list(session.scalars(select(ExternalLink).where(
        ExternalLink.ticket_id == ticket_id)))
    for link in links:
        linked.add(link.instance_id)
        mode = pushers.get(link.instance_id, ("none", ""))[0]
        if mode == "none" or link.instance_id == actor.instance_id:
            continue  # not pushing, or the change came from there: no echo
        link.sync_version += 1
        outbox.enqueue(session, instance_id=link.instance_id, action=action, lane=f"link:{link.id}",
                       payload={**payload, "sync_version": link.sync_version}, ticket_id=ticket_id, link_id=link.id,
                       key=f"link:{link.id}:{link.sync_version}")
        written += 1
    for instance_id, (mode, _) in pushers.items():
        if mode != "all" or instance_id in linked or instance_id == actor.instance_id:
            continue
        outbox.enqueue(session, instance_id=instance_id, action=action, lane=f"sub:{instance_id}:{ticket_id}",
                       payload=payload, ticket_id=ticket_id)
        written += 1
    return written
