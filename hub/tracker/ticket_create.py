"""Making a ticket, in two halves: built (checked, numbered where the database does not,
its due times asked) and, once written, finished (its audit entry, the creation hooks).

:func:`hub.tracker.tickets.create_ticket` does both around a flush of the one ticket. A
reader applying a batch of stored events (hub.ingest.read_together) builds all its tickets,
writes them in one INSERT, then finishes each, in the order the events arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import audit
from hub.tracker.customers import customer_for
from hub.tracker.due_times import ask_due_times
from hub.tracker.field_values import check_custom_values, index_custom_values
from hub.tracker.fresh import mark_fresh
from hub.tracker.languages import language_problems, usable_language
from hub.tracker.lifecycle import stamp
from hub.tracker.numbering import next_number, numbered_as_written
from hub.tracker.org import resolve_names
from hub.tracker.states import MACHINES, format_ref
from hub.tracker.ticket_rules import stored_text, validate_values
from hub.tracker.tickets import NAMED_FIELDS, normal_email, notify


@dataclass
class BuiltTicket:
    """A ticket checked and built, not yet written; what finishing it needs besides."""

    ticket: Ticket
    custom_values: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    other_start: bool = False
    """Created in a state other than the kind's first (said in the audit entry)."""


def build_ticket(
    session: Session, *, kind: str, values: Mapping[str, Any], actor: Actor, source: str = "api",
    instance_id: int | None = None, status: str | None = None, correlation_key: str | None = None,
    create_loose: bool = False,
) -> BuiltTicket:
    """Check ``values`` (names, not ids, for related records) and build the ticket; nothing
    is written but the names ``create_loose`` makes and, on SQLite, the kind's counter."""
    if kind not in MACHINES:
        raise ValidationFailed({"kind": [f"Must be one of: {', '.join(MACHINES)}."]})
    machine = MACHINES[kind]
    errors = validate_values(kind, values, creating=True)
    if status is not None and status not in machine.states:
        errors["status"] = [f"Not a {kind} state."]
    if language_errors := language_problems(session, values.get("language")):
        errors["language"] = language_errors
    if errors:
        raise ValidationFailed(errors)
    runtime = runtime_of(session)
    named = {k: values[k] for k in NAMED_FIELDS if values.get(k)}
    if "ci" in named:
        named.update(ci_name=values.get("ci_name"), ci_kind=values.get("ci_kind"))
    ids = resolve_names(session, named, create_loose=create_loose)
    custom = check_custom_values(session, kind=kind, department_id=ids.get("department_id"),
                                 given=values.get("custom_fields"), creating=True, lenient=create_loose)
    if custom.errors:
        raise ValidationFailed(custom.errors)
    now = runtime.now()
    impact = values.get("impact") or "medium"
    urgency = values.get("urgency") or "medium"
    customer_id = customer_for(session, values, source=source)
    ticket = Ticket(
        kind=kind,
        title=values["title"].strip(),
        description=values.get("description") or "",
        status=status or machine.initial,
        impact=impact,
        urgency=urgency,
        priority=values.get("priority") or runtime.matrix.priority(impact, urgency),
        requester_name=values.get("requester_name"),
        requester_email=normal_email(values.get("requester_email")),
        customer_id=customer_id,
        language=usable_language(session, values.get("language")),
        tags=list(values.get("tags") or []),
        custom_fields={name: value for name, value in custom.values.items() if value is not None},
        change_type=(values.get("change_type") or "normal") if kind == "change" else None,
        risk=(values.get("risk") or "medium") if kind == "change" else None,
        planned_start=values.get("planned_start"),
        planned_end=values.get("planned_end"),
        root_cause=stored_text(values.get("root_cause")),
        workaround=stored_text(values.get("workaround")),
        incident_key=stored_text(values.get("incident_key")),
        source=source,
        source_instance_id=instance_id,
        correlation_key=correlation_key,
        occurrence_count=1,
        last_seen_at=now,
        created_at=now,
        updated_at=now,
        **ids,
    )
    if not numbered_as_written(session):  # else the INSERT numbers it and returns the reference
        ticket.number = next_number(session, kind)
        ticket.ref = format_ref(kind, ticket.number)
    stamp(ticket, ticket.status, now, actor)
    ask_due_times(session, ticket)
    return BuiltTicket(ticket=ticket, custom_values=dict(custom.values), notes=list(custom.notes),
                       other_start=status not in (None, machine.initial))


def finish_created(session: Session, built: BuiltTicket, actor: Actor, *, thread_key: str | None = None,
                   notes: Sequence[str] = ()) -> Ticket:
    """What follows the ticket's INSERT: its custom field index, its audit entry, the mail
    thread it came from, a major incident's rule, and the ``ticket_created`` hooks.

    ``thread_key`` (the message id of the mail that opened it) is remembered before the
    hooks run, so an acknowledgement can thread onto that mail. ``notes`` (a draft's, from
    plugins) go into the audit entry.
    """
    ticket = built.ticket
    index_custom_values(session, ticket, built.custom_values, fresh=True)
    mark_fresh(session, ticket)
    said = [f"Created in state {ticket.status}."] * built.other_start + [*notes, *built.notes]
    audit.record(session, ticket, "created", actor, {"ref": ticket.ref, "title": ticket.title},
                 " ".join(said) or None)
    if thread_key:
        from hub.tracker.correlate import remember_thread_key

        remember_thread_key(session, ticket.id, thread_key)
    if ticket.kind == "incident" and (ticket.ci_id is not None or ticket.correlation_key is not None):
        from hub.tracker.major_updates import attach_by_rule

        attach_by_rule(session, ticket=ticket, actor=actor)
    notify(session, "ticket_created", ticket=ticket, actor=actor)
    return ticket
