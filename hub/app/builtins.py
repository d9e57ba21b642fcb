"""The hub's own behaviour, built on the same hooks any plugin uses.

Each implementation here is ``trylast``: a plugin that answers first takes over.
"""

from __future__ import annotations

import string
from typing import Any

from hub.hookspecs import hookimpl
from hub.sdk.values import EventInfo, InstanceInfo, TicketDraft


@hookimpl(trylast=True)
def normalize_event(event: EventInfo, instance: InstanceInfo, connector: Any) -> Any:
    """Ask the connector that received the event what it means."""
    return connector.normalize(event)


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


@hookimpl(trylast=True)
def correlation_key(draft: TicketDraft, event: EventInfo | None, instance: InstanceInfo | None) -> str | None:
    """The draft's own key, else the instance's ``dedup_key`` template filled from the draft."""
    if draft.correlation_key:
        return draft.correlation_key
    template = (instance.config.get("dedup_key") if instance else None) or None
    if not template:
        return None
    values = {**{name: getattr(draft, name) for name in ("title", "ci", "category", "department")}, **draft.extra}
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        if any(values.get(name) in (None, "") for name in fields):
            return None
        return template.format_map(_Missing(values))
    except (KeyError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------------------
# Outbound: every change reaches the linked and subscribed systems through the outbox.
# --------------------------------------------------------------------------------------


def _fan_out(session: Any, ticket: Any, action: str, payload: dict[str, Any], actor: Any) -> None:
    from hub.delivery.outbound import fan_out

    fan_out(session, ticket_id=ticket.id, action=action, payload=payload, actor=actor)


@hookimpl
def ticket_created(ticket: Any, actor: Any, session: Any) -> None:
    _fan_out(session, ticket, "create", {}, actor)


@hookimpl
def ticket_updated(ticket: Any, changes: dict[str, Any], actor: Any, session: Any) -> None:
    plain = {name: [_plain(old), _plain(new)] for name, (old, new) in changes.items()}
    _fan_out(session, ticket, "update", {"changes": plain}, actor)


@hookimpl
def status_changed(ticket: Any, old: str, new: str, actor: Any, session: Any) -> None:
    _fan_out(session, ticket, "transition", {"old": old, "new": new}, actor)
    if ticket.kind == "change" and new == "assessment":
        _request_approvals(session, ticket.ref)


def _request_approvals(session: Any, ref: str) -> None:
    """A change entering assessment: its board's members get one-click approval links by mail."""
    from hub.delivery.approval_requests import request_approvals
    from hub.tracker.tickets import get_ticket

    request_approvals(session, get_ticket(session, ref))


@hookimpl
def comment_added(ticket: Any, comment: Any, actor: Any, session: Any) -> None:
    _fan_out(session, ticket, "comment", {"comment": {
        "id": comment.id, "body": comment.body, "visibility": comment.visibility, "author": comment.author_name,
        "author_type": comment.author_type}}, actor)


@hookimpl
def attachment_added(ticket: Any, attachment: Any, actor: Any, session: Any) -> None:
    # Only the description travels in the outbox; the delivery reads the content.
    _fan_out(session, ticket, "attachment", {"attachment": {
        "id": attachment.id, "filename": attachment.filename, "content_type": attachment.content_type,
        "size": attachment.size, "sha256": attachment.sha256, "visibility": attachment.visibility}}, actor)


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@hookimpl
def register_schedules() -> list[Any]:
    from hub.sdk import Schedule

    return [
        Schedule(name="hub.process-stuck-events", job="hub.jobs.maintenance.process_stuck_events", interval=60,
                 queue="ingest"),
        Schedule(name="hub.purge-expired", job="hub.jobs.maintenance.purge_expired", interval=3600),
        Schedule(name="hub.fire-timers", job="hub.jobs.maintenance.fire_timers", interval=15),
        Schedule(name="hub.prune-raw-events", job="hub.jobs.maintenance.prune_raw_events", interval=3600),
        Schedule(name="hub.clear-quiet-flapping", job="hub.jobs.maintenance.clear_quiet_flapping", interval=600),
    ]


# --------------------------------------------------------------------------------------
# The organisation: names of its items in plugin settings and connector configs.
# --------------------------------------------------------------------------------------


@hookimpl
def register_org_references(session: Any) -> list[Any]:
    from hub.plugins.references import all_references

    return [shown for _, _, shown in all_references(session)]


@hookimpl
def org_item_renamed(item_type: str, old: str, new: str, session: Any) -> None:
    from hub.plugins.references import rename

    rename(session, item_type, old, new)
