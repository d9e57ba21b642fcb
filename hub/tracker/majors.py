"""Major incidents: one incident that stands for an outage, with the incidents it caused as children.

An agent promotes an incident to major (and may demote it). Existing incidents are attached
to it by reference or from a selection of the ticket list; new ones with the major's
configuration item or correlation key are attached by rule (hub.tracker.major_updates).
A child names its major in ``major_incident_id``; there is never a chain: a major is no
child, and a child is promoted only once it is detached. What the major says in public
reaches every child's requester, and its resolution resolves its children
(hub.tracker.major_updates).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker import audit
from hub.tracker.bulk import MAX_REFS, unique_refs
from hub.tracker.states import INCIDENT
from hub.tracker.tickets import get_ticket


@dataclass(frozen=True)
class Children:
    """A major incident's children, as its page and the API show them."""

    tickets: list[Ticket]
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.tickets)

    @property
    def open_count(self) -> int:
        return sum(1 for ticket in self.tickets if ticket.status in INCIDENT.open_states)


def promote(*, session: Session, ticket: Ticket, actor: Actor, note: str | None = None) -> bool:
    """Make an open incident a major one; False when it already was. Refuses another kind
    (422), a closed incident and a child of another major (409)."""
    if ticket.kind != "incident":
        raise ValidationFailed({"ref": [f"{ticket.ref} is a {ticket.kind}: only an incident becomes a major "
                                        "incident."]})
    if ticket.is_major:
        return False
    if ticket.major_incident_id is not None:
        major = session.get(Ticket, ticket.major_incident_id)
        raise Conflict(f"{ticket.ref} is a child of major incident {major.ref if major else '?'}; "
                       "detach it first.")
    if ticket.status not in INCIDENT.open_states:
        raise Conflict(f"{ticket.ref} is {ticket.status}: only an open incident becomes a major incident.")
    now = runtime_of(session).now()
    ticket.is_major = True
    ticket.major_at = now
    ticket.updated_at = now
    audit.record(session, ticket, "major_promoted", actor, {"major": [False, True]}, note)
    session.flush()
    return True


def demote(*, session: Session, ticket: Ticket, actor: Actor, note: str | None = None) -> int:
    """Make a major incident an ordinary one again; its children are detached (each says so).
    Returns how many were detached; 409 when it is no major incident."""
    if not ticket.is_major:
        raise Conflict(f"{ticket.ref} is not a major incident.")
    detached = 0
    for child in children_of(session, ticket).tickets:
        _detach(session, ticket, child, actor, why="demoted")
        detached += 1
    ticket.is_major = False
    ticket.major_at = None
    ticket.updated_at = runtime_of(session).now()
    audit.record(session, ticket, "major_demoted", actor, {"major": [True, False], "detached": detached}, note)
    session.flush()
    return detached


def attach(*, session: Session, major: Ticket, refs: Iterable[str], actor: Actor, note: str | None = None) -> list[str]:
    """Attach the incidents ``refs`` to ``major``; answers those newly attached (one already its
    child is left as it is). All or nothing: ValidationFailed names each ticket refused."""
    _check_major(major)
    wanted = unique_refs(refs)
    if not wanted:
        raise ValidationFailed({"refs": ["Name at least one incident (INC-...)."]})
    if len(wanted) > MAX_REFS:
        raise ValidationFailed({"refs": [f"At most {MAX_REFS} incidents at once; you sent {len(wanted)}."]})
    found = {ticket.ref: ticket for ticket in session.scalars(
        select(Ticket).where(Ticket.ref.in_(wanted)).with_for_update())}
    errors: list[str] = []
    attached: list[Ticket] = []
    for ref in wanted:
        child = found.get(ref)
        refusal = _refusal(session, major, child, ref)
        if refusal:
            errors.append(refusal)
        elif child is not None and child.major_incident_id != major.id:
            attached.append(child)
    if errors:
        raise ValidationFailed({"refs": errors}, detail="Nothing was attached: " + " ".join(errors))
    for child in attached:
        attach_one(session, major, child, actor, note, on_major=False)
    if attached:
        # One entry on the major for the lot: fifty lines would bury its timeline.
        audit.record(session, major, "major_children_attached", actor,
                     {"children": [child.ref for child in attached]}, note)
    return [child.ref for child in attached]


def attach_one(session: Session, major: Ticket, child: Ticket, actor: Actor, note: str | None = None, *,
               on_major: bool = True) -> None:
    """Attach one checked incident; its audit trail says so, and the major's unless the caller
    records the lot at once."""
    child.major_incident_id = major.id
    child.updated_at = runtime_of(session).now()
    audit.record(session, child, "major_attached", actor, {"major_incident": [None, major.ref]}, note)
    if on_major:
        audit.record(session, major, "major_children_attached", actor, {"children": [child.ref]}, note)
    session.flush()


def detach(*, session: Session, major: Ticket, child_ref: str, actor: Actor) -> None:
    """Take one child off its major incident (404 when it is not its child)."""
    try:
        child = get_ticket(session, child_ref, kind="incident", for_update=True)
    except NotFound:
        raise NotFound(f"{child_ref.strip().upper()} is not a child of {major.ref}.") from None
    if child.major_incident_id != major.id:
        raise NotFound(f"{child.ref} is not a child of {major.ref}.")
    _detach(session, major, child, actor, why="detached")
    session.flush()


def children_of(session: Session, major: Ticket) -> Children:
    """Every child of the major incident, oldest first, with a count per status."""
    rows = list(session.scalars(select(Ticket).where(Ticket.major_incident_id == major.id).order_by(Ticket.id)))
    return Children(rows, dict(Counter(ticket.status for ticket in rows)))


def major_of(session: Session, ticket: Ticket) -> Ticket | None:
    """The major incident this one is a child of, if any."""
    return session.get(Ticket, ticket.major_incident_id) if ticket.major_incident_id is not None else None


def _detach(session: Session, major: Ticket, child: Ticket, actor: Actor, *, why: str) -> None:
    child.major_incident_id = None
    child.updated_at = runtime_of(session).now()
    audit.record(session, child, "major_detached", actor, {"major_incident": [major.ref, None]},
                 f"{major.ref} was demoted." if why == "demoted" else None)
    audit.record(session, major, "major_child_detached", actor, {"child": child.ref})


def _check_major(major: Ticket) -> None:
    if not major.is_major:
        raise Conflict(f"{major.ref} is not a major incident: promote it first.")
    if major.status not in INCIDENT.open_states:
        raise Conflict(f"Major incident {major.ref} is {major.status}: it takes no more children.")


def _refusal(session: Session, major: Ticket, child: Ticket | None, ref: str) -> str | None:
    """Why ``ref`` cannot become a child of ``major``, or None."""
    if child is None:
        return f"{ref}: no such ticket."
    if child.kind != "incident":
        return f"{ref}: only incidents are attached to a major incident."
    if child.id == major.id:
        return f"{ref}: a major incident cannot be its own child."
    if child.is_major:
        return f"{ref} is a major incident itself: demote it first (major incidents are never nested)."
    if child.major_incident_id not in (None, major.id):
        other = session.get(Ticket, child.major_incident_id)
        return f"{ref} is already a child of {other.ref if other else 'another major incident'}: detach it there first."
    return None
