"""ORM rows to the dictionaries the output schemas describe."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.tracker.info import duplicate_ref, major_ref
from hub.tracker.org import name_for
from hub.tracker.sla_clock import present_sla
from hub.tracker.states import MACHINES

PLURAL = {"incident": "incidents", "change": "changes", "problem": "problems"}


def present_ticket(session: Session, ticket: Ticket) -> dict[str, Any]:
    from hub.core.runtime import runtime_of

    return {
        "ref": ticket.ref,
        "kind": ticket.kind,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "allowed_transitions": MACHINES[ticket.kind].allowed(ticket.status, ticket),
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "department": name_for(session, "department", ticket.department_id),
        "category": name_for(session, "category", ticket.category_id),
        "ci": name_for(session, "ci", ticket.ci_id),
        "group": name_for(session, "group", ticket.group_id),
        "assignee": name_for(session, "user", ticket.assignee_id),
        "requester": {"name": ticket.requester_name, "email": ticket.requester_email},
        "language": ticket.language,
        "source": ticket.source,
        "occurrence_count": ticket.occurrence_count,
        "last_seen_at": ticket.last_seen_at,
        "flapping": ticket.flapping,
        "tags": ticket.tags or [],
        "custom_fields": ticket.custom_fields or {},
        "type": ticket.change_type,
        "risk": ticket.risk,
        "planned_start": ticket.planned_start,
        "planned_end": ticket.planned_end,
        "resolution": ticket.resolution,
        "root_cause": ticket.root_cause,
        "workaround": ticket.workaround,
        "incident_key": ticket.incident_key,
        "duplicate_of": duplicate_ref(session, ticket),
        "major": ticket.is_major,
        "major_incident": major_ref(session, ticket),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "acknowledged_at": ticket.acknowledged_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "response_due_at": ticket.response_due_at,
        "resolve_due_at": ticket.resolve_due_at,
        "sla": present_sla(ticket, runtime_of(session).now()),
        "csat_score": ticket.csat_score,
        "version": ticket.version,
        "url": url_for(f"{PLURAL[ticket.kind]}.TicketItem", ref=ticket.ref),
    }


def ticket_values(data: dict[str, Any]) -> dict[str, Any]:
    """API field names to the tracker's (``type`` is ``change_type``, requester is flat)."""
    values = dict(data)
    requester = values.pop("requester", None)
    if requester is not None:
        if "name" in requester:
            values["requester_name"] = requester["name"]
        if "email" in requester:
            values["requester_email"] = requester["email"].lower() if requester["email"] else None
    if "type" in values:
        values["change_type"] = values.pop("type")
    return values
