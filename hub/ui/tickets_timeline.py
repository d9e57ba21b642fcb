"""One timeline for a ticket: comments, occurrences, audit and approvals, oldest first."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import AuditEvent, Comment, ConnectorInstance, ExternalLink, InboundEvent, OutboxMessage, Ticket
from hub.tracker.links import web_link
from hub.ui.moments import viewer_zone

#: Limits keep a ticket with a flood of occurrences readable and quick; the newest are kept.
MAX_AUDIT = 500
MAX_EVENTS = 200
FIELD_LABELS = {"assignee": "Assignee", "group": "Group", "department": "Department", "priority": "Priority",
                "status": "Status", "title": "Title", "impact": "Impact", "urgency": "Urgency",
                "resolution": "Resolution", "category": "Category", "ci": "Configuration item"}


#: How the audit stores a moment (ISO 8601 with its offset): shown on the viewer's clock.
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
WORDS = {"status"}  # fields whose values are codes (in_progress) shown as words (in progress)


def _shown(name: str, value: Any) -> Any:
    if value in (None, ""):
        return "—"
    if isinstance(value, str) and MOMENT.match(value):
        local = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(viewer_zone())
        return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")
    if name in WORDS and isinstance(value, str):
        return value.replace("_", " ")
    return value


def _change_text(changes: dict[str, Any]) -> list[str]:
    out = []
    for name, value in changes.items():
        label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
        if isinstance(value, list) and len(value) == 2:
            old, new = (_shown(name, v) for v in value)
            out.append(f"{label}: {old} → {new}")
        else:
            out.append(f"{label}: {value}")
    return out


def _audit_entry(event: AuditEvent) -> dict[str, Any] | None:
    changes = dict(event.changes or {})
    if event.action == "commented":
        return None  # the comment itself is on the timeline
    if event.action == "created":
        title, lines = "Opened", [f"Title: {changes.get('title', '')}"]
    elif event.action in ("transitioned", "reopened"):
        old, new = (changes.get("status") or [None, None])[:2]
        title = f"{'Reopened' if event.action == 'reopened' else 'Status'}: {_shown('status', old)} → " \
            f"{_shown('status', new)}"
        lines = _change_text({k: v for k, v in changes.items() if k != "status"})
    elif event.action == "approval":
        title, lines = _approval_title(changes), []
    elif event.action == "schedule_override":
        held = [f"collides with {', '.join(changes.get('collisions') or [])}"] if changes.get("collisions") else []
        held += [f"{len(changes['freezes'])} freeze window(s)"] if changes.get("freezes") else []
        title, lines = f"Schedule override at {changes.get('step', 'a step')}", ["; ".join(held)] if held else []
    elif event.action == "merged":
        title = f"Merged into {(changes.get('duplicate_of') or [None, '?'])[1]} as a duplicate"
        lines = _change_text({k: v for k, v in changes.items() if k != "duplicate_of"})
    elif event.action == "duplicate_added":
        title, lines = f"Duplicate merged in: {changes.get('duplicate', '?')}", []
    elif event.action == "updated":
        title, lines = "Updated", _change_text(changes)
    elif event.action.startswith("major_"):
        title, lines = _major_entry(event.action, changes)
    else:
        title, lines = event.action.replace("_", " ").capitalize(), _change_text(changes)
    return {"at": event.at, "type": "audit", "css": "audit", "title": title, "lines": lines, "body": event.note,
            "who": event.actor_name, "via": event.origin, "order": 1}


def _major_entry(action: str, changes: dict[str, Any]) -> tuple[str, list[str]]:
    """A major incident's step (hub.tracker.majors) as the timeline says it."""
    given = changes.get("children")
    children: list[str] = [str(ref) for ref in given] if isinstance(given, list) else []
    major = changes.get("major_incident") or [None, None]
    titles = {"major_promoted": "Promoted to major incident",
              "major_demoted": f"Demoted: no longer a major incident ({changes.get('detached', 0)} children detached)",
              "major_attached": f"Attached to major incident {major[-1]}",
              "major_detached": f"Detached from major incident {major[0]}",
              "major_children_attached": f"{len(children)} child{'ren' if len(children) != 1 else ''} attached",
              "major_child_detached": f"Child detached: {changes.get('child', '?')}",
              "major_update_relayed": f"Public update sent to the requesters of {changes.get('children', 0)} children"}
    lines = [", ".join(children)] if action == "major_children_attached" else []
    return titles.get(action, action.replace("_", " ").capitalize()), lines


def _approval_title(changes: dict[str, Any]) -> str:
    """A decision as the timeline says it: pre-approved, after the fact, or one of a quorum."""
    decision = changes.get("decision", "decided")
    if changes.get("template"):
        return f"Change pre-approved by the template {changes['template']}"
    if decision == "approved" and changes.get("after_the_fact"):
        return "Change approved after the fact"
    approved, quorum = changes.get("approved"), changes.get("quorum")
    if decision == "approved" and isinstance(approved, int) and isinstance(quorum, int) and approved < quorum:
        return f"Approval {approved} of {quorum}"
    return f"Change {decision}"


def _comment_entry(comment: Comment) -> dict[str, Any]:
    label = "Internal note" if comment.visibility == "internal" else "Public comment"
    if comment.relayed_from_id is not None:
        label = "Public update from the major incident"
    return {"at": comment.created_at, "type": "comment", "css": comment.visibility, "title": label, "lines": [],
            "body": comment.body, "who": comment.author_name, "via": None, "order": 2,
            "anchor": f"comment-{comment.id}"}


def _event_entry(event: InboundEvent, instance: str) -> dict[str, Any]:
    action = event.action or event.status
    titles = {"occurrence": "Occurrence", "reopened": "Occurrence (reopened)", "created": "Received: opened this",
              "commented": "Received: a comment", "updated": "Received: an update", "cleared": "Received: all clear"}
    title = titles.get(action, f"Received: {action}")
    return {"at": event.received_at, "type": "event", "css": "event", "title": title,
            "lines": [f"Event {event.id} from {instance} ({event.status})"], "body": event.reason,
            "who": instance, "via": f"connector:{instance}", "order": 0, "event_id": event.id}


def build_timeline(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    """Every step of the ticket in order: what arrived, what people said, what changed."""
    instances = dict(session.execute(select(ConnectorInstance.id, ConnectorInstance.slug)).all())
    entries: list[dict[str, Any]] = [_comment_entry(c) for c in session.scalars(
        select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id))]
    trail = list(session.scalars(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
                                 .order_by(AuditEvent.id.desc()).limit(MAX_AUDIT)))
    entries += [entry for entry in map(_audit_entry, trail) if entry is not None]
    events = session.scalars(select(InboundEvent).where(InboundEvent.ticket_id == ticket.id)
                             .order_by(InboundEvent.id.desc()).limit(MAX_EVENTS))
    entries += [_event_entry(event, instances.get(event.instance_id, "?")) for event in events]
    entries.sort(key=lambda entry: (entry["at"] or datetime.min, entry["order"]))
    return entries


def external_links(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's records elsewhere, with sync state, last error and undelivered changes."""
    rows = session.execute(select(ExternalLink, ConnectorInstance.slug, ConnectorInstance.connector)
                           .join(ConnectorInstance, ConnectorInstance.id == ExternalLink.instance_id)
                           .where(ExternalLink.ticket_id == ticket.id).order_by(ExternalLink.id)).all()
    out = []
    for link, slug, connector in rows:
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.link_id == link.id,
                                                              OutboxMessage.status.in_(("pending", "dead")))
                                  .order_by(OutboxMessage.id.desc()).limit(5))
        out.append({"instance": slug, "connector": connector, "external_id": link.external_id,
                    "url": web_link(link.url),
                    "sync_state": link.sync_state, "last_error": link.last_error, "last_synced_at": link.last_synced_at,
                    "outbox": [{"id": m.id, "status": m.status, "action": m.action, "attempts": m.attempts,
                                "last_error": m.last_error} for m in waiting]})
    return out
