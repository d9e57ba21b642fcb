"""Mail to people (requesters, groups, managers), sent through a mail-capable connector instance.

Features decide what to say and to whom (plugins/notify, the SLA plugin's escalations, web
form acknowledgements); a connector that ``sends_mail`` (the email connector) decides how:
templates, SMTP, Message-IDs that make replies thread. The message goes through the outbox,
so a mail server outage delays mail and loses none.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.delivery import outbox
from hub.models import ConnectorInstance, ExternalLink, OutboxMessage, Ticket
from hub.sdk.connector import Pusher
from hub.sdk.sync import remote_speaks

log = logging.getLogger("hub.notifications")


def mail_instances(session: Session) -> list[ConnectorInstance]:
    """Enabled instances whose connector can send mail, oldest first."""
    runtime = runtime_of(session)
    found = []
    for instance in session.scalars(select(ConnectorInstance).where(ConnectorInstance.enabled.is_(True))
                                    .order_by(ConnectorInstance.id)):
        cls = runtime.plugins.connectors.get(instance.connector)
        if cls is not None and getattr(cls, "sends_mail", False):
            found.append(instance)
    return found


def choose_mail_instance(session: Session, *, ticket: Ticket | None,
                         slug: str | None = None) -> ConnectorInstance | None:
    """The named instance; else the one the ticket came in through, if it sends mail; else the first."""
    candidates = mail_instances(session)
    if slug:
        return next((instance for instance in candidates if instance.slug == slug), None)
    if ticket is not None and ticket.source_instance_id:
        same = next((instance for instance in candidates if instance.id == ticket.source_instance_id), None)
        if same is not None:
            return same
    return candidates[0] if candidates else None


def send_mail(
    session: Session, *, to: list[str], subject: str, body: str = "", ticket: Ticket | None = None,
    template: str | None = None, context: dict[str, Any] | None = None, instance_slug: str | None = None,
    key: str | None = None, cc: list[str] | None = None,
) -> OutboxMessage | None:
    """Queue a mail; returns the outbox message, or None when no instance can send mail."""
    recipients = sorted({address.strip().lower() for address in to if address and "@" in address})
    if not recipients:
        return None
    instance = choose_mail_instance(session, ticket=ticket, slug=instance_slug)
    if instance is None:
        log.warning("no enabled connector instance can send mail; %r to %s is not sent", subject, recipients)
        return None
    lane = f"mail:{ticket.id}" if ticket is not None else f"mail:{recipients[0]}"
    payload = {"to": recipients, "cc": sorted(set(cc or [])), "subject": subject, "body": body,
               "template": template, "context": context or {}}
    return outbox.enqueue(session, instance_id=instance.id, action="mail", lane=lane, payload=payload,
                          ticket_id=ticket.id if ticket is not None else None, key=key)


def speaking_remote(session: Session, ticket: Ticket) -> ConnectorInstance | None:
    """The synced system that speaks to the ticket's requester, or None when the hub does.

    Each sync instance's ``requester_conversation`` decides (hub.sdk.sync.remote_speaks)
    for the tickets it is involved in: the one the ticket came from, the ones it is linked
    to, and those that give every hub ticket of its kind a remote record (it will be linked).
    """
    runtime = runtime_of(session)
    linked = set(session.scalars(select(ExternalLink.instance_id).where(ExternalLink.ticket_id == ticket.id)))
    for instance in session.scalars(select(ConnectorInstance).where(ConnectorInstance.enabled.is_(True))
                                    .order_by(ConnectorInstance.id)):
        config = instance.config or {}
        if "requester_conversation" not in config:
            continue  # not a sync instance: it has no say
        came_from_remote = instance.id == ticket.source_instance_id
        involved = came_from_remote or instance.id in linked or _creates_every(runtime, instance, ticket.kind)
        if not involved or not remote_speaks(config, came_from_remote=came_from_remote):
            continue
        # A hub ticket's remote record reaches the requester only where the connector names
        # them on it (RT's Requestor); elsewhere the hub keeps speaking, or nobody would.
        if came_from_remote or getattr(runtime.plugins.connectors.get(instance.connector), "names_requester", False):
            return instance
    return None


def _creates_every(runtime: Any, instance: ConnectorInstance, kind: str) -> bool:
    """Whether the instance gives every hub ticket (of its kind) a remote record."""
    cls = runtime.plugins.connectors.get(instance.connector)
    config = instance.config or {}
    if cls is None or not issubclass(cls, Pusher) or cls.push_mode(config) != "all":
        return False
    return str(config.get("kind") or kind) == kind
