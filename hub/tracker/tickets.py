"""Creating, changing and moving tickets: the tracker's write services.

Every function takes the caller's session and an Actor, writes the change and its audit
event, and calls the lifecycle hooks inside the same transaction. None commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from hub.core.runtime import hook_session, runtime_of
from hub.models import CorrelationKey, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import NotFound, PreconditionFailed, ValidationFailed
from hub.tracker import audit
from hub.tracker.change_calendar import enforce_schedule
from hub.tracker.change_task_progress import guard_transition
from hub.tracker.customers import rematch_customer
from hub.tracker.field_values import check_custom_values, field_key, store_custom_values
from hub.tracker.fresh import fresh_ticket
from hub.tracker.held_writes import held_writes
from hub.tracker.info import ticket_info
from hub.tracker.languages import language_problems, usable_language
from hub.tracker.lifecycle import PEOPLE, stamp
from hub.tracker.lifecycle import acknowledges as acknowledges  # re-exported: its tests import it here
from hub.tracker.org import resolve_names
from hub.tracker.states import MACHINES, RESOLVED_STATES, kind_of_ref
from hub.tracker.ticket_rules import CHANGE_TYPES as CHANGE_TYPES  # re-exported: schemas and pages list them
from hub.tracker.ticket_rules import PROBLEM_FIELDS, stored_text, validate_values
from hub.tracker.ticket_rules import RISKS as RISKS

#: Fields a caller may set directly. Status moves only through transitions.
EDITABLE = (
    "title", "description", "impact", "urgency", "priority", "department", "category", "ci", "group",
    "assignee", "requester_name", "requester_email", "language", "tags", "custom_fields", "change_type", "risk",
    "planned_start", "planned_end", "resolution", "root_cause", "workaround", "incident_key",
)

#: The fields that name a related record (resolved to its id).
NAMED_FIELDS = ("department", "category", "ci", "group", "assignee")
_NAME_COLUMNS = {"department": "department_id", "category": "category_id", "ci": "ci_id",
                 "group": "group_id", "assignee": "assignee_id"}


def notify(session: Session, hook_name: str, **kwargs: Any) -> Any:
    """Call a lifecycle hook in this transaction, cheap when no plugin listens; returns the
    answers (None when none listens). ``ticket`` may be given as an ORM row: it is turned
    into a snapshot only when some plugin implements the hook.
    """
    runtime = runtime_of(session)
    if not runtime.plugins.has_impls(hook_name):
        return None
    if isinstance(kwargs.get("ticket"), Ticket):
        # A batch holding its writes flushes at its end, not for a ticket with nothing pending.
        if held_writes(session) is None or _pending(kwargs["ticket"]):
            session.flush()
        kwargs["ticket"] = ticket_info(session, kwargs["ticket"])
    with hook_session(session):
        return getattr(runtime.plugins.hook, hook_name)(session=session, **kwargs)


def _pending(ticket: Ticket) -> bool:
    state = inspect(ticket)
    return bool(state.pending or state.modified)


def create_ticket(
    *,
    session: Session,
    kind: str,
    values: Mapping[str, Any],
    actor: Actor,
    source: str = "api",
    instance_id: int | None = None,
    status: str | None = None,
    correlation_key: str | None = None,
    create_loose: bool = False,
    thread_key: str | None = None,
    notes: Sequence[str] = (),
) -> Ticket:
    """Make an incident, change or problem from ``values`` (names, not ids, for related records).

    ``thread_key`` (the message id of the mail that opened it) is remembered before the
    ``ticket_created`` hooks run, so an acknowledgement can thread onto that mail.
    ``notes`` (a draft's, from plugins) go into the audit entry of the creation.
    """
    # Imported here: it builds on this module's notify and normal_email.
    from hub.tracker.ticket_create import build_ticket, finish_created

    built = build_ticket(session, kind=kind, values=values, actor=actor, source=source, instance_id=instance_id,
                         status=status, correlation_key=correlation_key, create_loose=create_loose)
    session.add(built.ticket)
    session.flush()
    return finish_created(session, built, actor, thread_key=thread_key, notes=notes)


def get_ticket(session: Session, ref: str, *, kind: str | None = None, for_update: bool = False) -> Ticket:
    """The ticket with this reference (``INC-000042``); NotFound otherwise."""
    ref = ref.upper()
    found_kind = kind_of_ref(ref)
    if found_kind is None or (kind is not None and found_kind != kind):
        raise NotFound(f"No {kind or 'ticket'} {ref}.")
    postgres_lock = for_update and session.get_bind().dialect.name == "postgresql"
    # A ticket this session already holds is the object the SELECT would return (the
    # identity map; a SELECT never overwrites loaded attributes), so skip the round trip:
    # plugins' hooks ask for the same ticket by reference again and again.
    ticket = None if postgres_lock else _held(session, ref)
    if ticket is not None:
        return ticket
    query = select(Ticket).where(Ticket.ref == ref)
    if postgres_lock:
        query = query.with_for_update()
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFound(f"No {kind or 'ticket'} {ref}.")
    return ticket


def _held(session: Session, ref: str) -> Ticket | None:
    """The loaded, not deleted ticket with this reference in the session's identity map."""
    fresh: Ticket | None = fresh_ticket(session, ref)
    if fresh is not None:
        return fresh
    for key, held in session.identity_map.items():  # type: ignore[attr-defined]
        if key[0] is Ticket:
            state = inspect(held)
            if state.dict.get("ref") == ref and not state.deleted and not state.was_deleted:
                return held
    return None


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ticket.version:
        raise PreconditionFailed(
            f"{ticket.ref} has changed (version {ticket.version}, you sent {expected_version}); "
            "read it again and retry.",
            current_version=ticket.version,
        )


def _check_update(ticket: Ticket, values: Mapping[str, Any]) -> None:
    """Refuse fields that cannot be changed here and values that break a rule (ValidationFailed)."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        hint = " Use a transition to change the status." if "status" in unknown else ""
        raise ValidationFailed({name: [f"Cannot be changed here.{hint}"] for name in unknown})
    errors = validate_values(ticket.kind, values, creating=False)
    if not errors and ("planned_start" in values) != ("planned_end" in values):
        # One end of the window moved: it must still lie on the right side of the other.
        start, end = values.get("planned_start", ticket.planned_start), values.get("planned_end", ticket.planned_end)
        if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
            errors["planned_end"] = ["Must be after planned_start."]
    if errors:
        raise ValidationFailed(errors)


def update_ticket(
    *,
    session: Session,
    ticket: Ticket,
    values: Mapping[str, Any],
    actor: Actor,
    expected_version: int | None = None,
    create_loose: bool = False,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of a ticket; returns ``{field: (old, new)}`` for what really changed."""
    check_version(ticket, expected_version)
    _check_update(ticket, values)
    if "language" in values and (language_errors := language_problems(session, values["language"])):
        raise ValidationFailed({"language": language_errors})
    runtime = runtime_of(session)
    ids = resolve_names(session, {k: values[k] for k in NAMED_FIELDS if k in values}, create_loose=create_loose)
    custom = _checked_custom(session, ticket, values, ids, lenient=create_loose)
    changes = _apply_values(session, ticket, values, ids)
    for name, moved in store_custom_values(session, ticket, custom.values).items():
        changes[field_key(name)] = moved
    follows_matrix = values.get("priority") is None
    if follows_matrix and ("impact" in changes or "urgency" in changes or "priority" in values):
        priority = runtime.matrix.priority(ticket.impact, ticket.urgency)
        if priority != ticket.priority:
            changes["priority"] = (ticket.priority, priority)
            ticket.priority = priority
    if not changes:
        return changes
    if "requester_email" in changes:
        rematch_customer(session, ticket)
    ticket.updated_at = runtime.now()
    if "assignee" in changes and ticket.kind == "incident" and actor.type in PEOPLE:
        # A person giving it to someone responds; a routing rule's assignment does not.
        ticket.first_response_at = ticket.first_response_at or ticket.updated_at
    audit.record(session, ticket, "updated", actor, dict(changes), " ".join(custom.notes) or None)
    session.flush()
    notify(session, "ticket_updated", ticket=ticket, changes=changes, actor=actor)
    return changes


def _apply_values(session: Session, ticket: Ticket, values: Mapping[str, Any],
                  ids: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the ticket's own fields (not its custom ones); returns ``{field: (old, new)}``."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        if name == "custom_fields":
            continue  # stored below, field by field
        if name in _NAME_COLUMNS:
            column = _NAME_COLUMNS[name]
            old_id, new_id = getattr(ticket, column), ids.get(column)
            if old_id != new_id:
                changes[name] = (_name_of(session, name, old_id), new if new_id is not None else None)
                setattr(ticket, column, new_id)
            continue
        old = getattr(ticket, name)
        if name == "title" and isinstance(new, str):
            new = new.strip()
        elif name == "requester_email":
            new = normal_email(new)
        elif name == "language":
            new = usable_language(session, new)
        elif name in PROBLEM_FIELDS:
            new = stored_text(new)
        elif name == "priority" and new is None:
            continue  # cleared: follows impact x urgency, set below once both are known
        if old != new:
            changes[name] = (old, new)
            setattr(ticket, name, new)
    return changes


def _checked_custom(session: Session, ticket: Ticket, values: Mapping[str, Any], ids: Mapping[str, Any], *,
                    lenient: bool) -> Any:
    """The custom field values of an update, checked against the fields of the department the
    ticket will be in (ValidationFailed for a person's bad value)."""
    if "custom_fields" in values and not isinstance(values["custom_fields"], Mapping):
        raise ValidationFailed({"custom_fields": ["An object of field names and values."]})
    department_id = ids.get("department_id") if "department" in values else ticket.department_id
    custom = check_custom_values(session, kind=ticket.kind, department_id=department_id,
                                 given=values.get("custom_fields"), creating=False, lenient=lenient)
    if custom.errors:
        raise ValidationFailed(custom.errors)
    return custom


def normal_email(address: Any) -> Any:
    """E-mail addresses are kept in lower case, whatever the source typed: people type their
    address in any case, and "own tickets" compares it with the signed-in user's."""
    if not isinstance(address, str):
        return address
    return address.strip().lower() or None


def _name_of(session: Session, field_name: str, ident: int | None) -> str | None:
    from hub.tracker.org import name_for

    what = {"department": "department", "category": "category", "ci": "ci", "group": "group",
            "assignee": "user"}[field_name]
    return name_for(session, what, ident)


def transition_ticket(
    *,
    session: Session,
    ticket: Ticket,
    to: str,
    actor: Actor,
    note: str | None = None,
    resolution: str | None = None,
    expected_version: int | None = None,
    override_reason: str | None = None,
) -> Ticket:
    """Move a ticket to state ``to``; IllegalTransition (409) names the allowed moves. Scheduling a
    change that collides or falls in a freeze needs ``override_reason`` (hub.tracker.change_calendar)."""
    check_version(ticket, expected_version)
    machine = MACHINES[ticket.kind]
    machine.check(ticket.status, to, ticket)
    if ticket.kind == "change" and to == "scheduled":
        enforce_schedule(session, ticket, actor=actor, step="scheduling", override_reason=override_reason)
    guard_transition(session, ticket, to, actor)  # a change closes only when every task has an outcome
    runtime = runtime_of(session)
    old = ticket.status
    now = runtime.now()
    ticket.status = to
    ticket.updated_at = now
    if resolution is not None:
        ticket.resolution = resolution
    stamp(ticket, to, now, actor)
    changes: dict[str, Any] = {"status": (old, to)}
    if resolution:
        changes["resolution"] = (None, resolution)
    action = "reopened" if old in RESOLVED_STATES and to not in RESOLVED_STATES else "transitioned"
    audit.record(session, ticket, action, actor, changes, note)
    _release_correlation(session, ticket, to)
    session.flush()
    notify(session, "status_changed", ticket=ticket, old=old, new=to, actor=actor)
    if ticket.is_major:
        from hub.tracker.major_updates import resolve_children

        resolve_children(session, major=ticket, to=to, actor=actor)
    return ticket


def enter_final_state(session: Session, ticket: Ticket, to: str, actor: Actor) -> str:
    """Put a ticket in a final state ``to`` from any open one, outside the state machine;
    returns the state it left. For services that own a move the lifecycle does not offer
    (a merge closes a duplicate whatever its state); they record the audit event and call
    ``status_changed`` themselves."""
    if to not in MACHINES[ticket.kind].final_states:
        raise ValueError(f"{to!r} is not a final state of {ticket.kind}s")
    old, now = ticket.status, runtime_of(session).now()
    ticket.status = to
    ticket.updated_at = now
    stamp(ticket, to, now, actor)
    _release_correlation(session, ticket, to)
    return old


def _release_correlation(session: Session, ticket: Ticket, status: str) -> None:
    """Free the ticket's correlation key once repeats should no longer attach to it."""
    if ticket.correlation_key is None:
        return
    if status in MACHINES[ticket.kind].final_states:
        session.execute(delete(CorrelationKey).where(CorrelationKey.ticket_id == ticket.id))
    elif status == "resolved":
        # Keys claimed with reopen=False open a new ticket after a resolution.
        session.execute(
            delete(CorrelationKey).where(CorrelationKey.ticket_id == ticket.id, CorrelationKey.reopen.is_(False))
        )
