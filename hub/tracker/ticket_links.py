"""Links between tickets: what belongs together, what is part of what, what caused what, and
which problem is behind which incidents.

A link is stored once, from its source (``source parent_of target``); each ticket shows it
in its own words (the target is the source's child). Links are the hub's own: they are
never synced to other systems, so they can never break a sync. Each link and unlink is in
both tickets' audit trails. A merged duplicate is shown with the links (``duplicate_of``,
``duplicates``) but is made and undone only by a merge (hub.tracker.merge).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import LINK_KINDS, Ticket, TicketLink
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker import audit
from hub.tracker.tickets import get_ticket

#: How each ticket of a link reads it: (from the source, from the target).
WORDS = {"related": ("related to", "related to"), "parent_of": ("parent of", "child of"),
         "caused_by": ("caused by", "caused"), "problem_of": ("problem behind", "symptom of")}
#: The kinds a link is made with, as API and pages name them, from the ticket it is made on.
AS_SEEN = {"related": ("related", False), "parent_of": ("parent_of", False), "child_of": ("parent_of", True),
           "caused_by": ("caused_by", False), "caused": ("caused_by", True),
           "problem_of": ("problem_of", False), "symptom_of": ("problem_of", True)}
#: The kind each stored link has when read from its target.
FROM_TARGET = {"related": "related", "parent_of": "child_of", "caused_by": "caused", "problem_of": "symptom_of"}
#: Links only some kinds of ticket make: (source kind, target kind) and why, when it is wrong.
PAIRS = {"caused_by": (("incident", "change"), "'Caused by' links an incident to the change that caused it."),
         "problem_of": (("problem", "incident"), "'Problem of' links a problem to an incident it is behind.")}
#: How deep a parent/child chain may go before a loop check gives up (and refuses).
MAX_DEPTH = 50


@dataclass(frozen=True)
class LinkView:
    """A link as one of its tickets shows it."""

    id: int | None
    kind: str
    words: str
    ref: str
    title: str
    status: str
    removable: bool = True


def add_link(*, session: Session, ticket: Ticket, kind: str, other_ref: str, actor: Actor) -> TicketLink:
    """Link ``ticket`` to ``other_ref`` as ``kind`` (one of AS_SEEN, read from ``ticket``)."""
    if kind not in AS_SEEN:
        raise ValidationFailed({"kind": [f"Must be one of {', '.join(AS_SEEN)}."]})
    stored, reversed_ = AS_SEEN[kind]
    other = _other(session, other_ref)
    if other.id == ticket.id:
        raise ValidationFailed({"ref": ["A ticket cannot be linked to itself."]})
    source, target = (other, ticket) if reversed_ else (ticket, other)
    _check(session, source, target, stored)
    link = TicketLink(source_id=source.id, target_id=target.id, kind=stored, created_at=runtime_of(session).now(),
                      created_by=actor.name[:200])
    session.add(link)
    session.flush()
    _audit(session, source, target, stored, actor, "linked")
    return link


def remove_link(*, session: Session, ticket: Ticket, link_id: int, actor: Actor) -> None:
    link = session.get(TicketLink, link_id)
    if link is None or ticket.id not in (link.source_id, link.target_id):
        raise NotFound(f"{ticket.ref} has no link {link_id}.")
    source, target = session.get(Ticket, link.source_id), session.get(Ticket, link.target_id)
    assert source is not None
    assert target is not None
    session.delete(link)
    session.flush()
    _audit(session, source, target, link.kind, actor, "unlinked")


def links_of(session: Session, ticket: Ticket) -> list[LinkView]:
    """Every ticket linked to this one, in its words; the merge's links first."""
    views: list[LinkView] = []
    if ticket.duplicate_of_id is not None:
        main = session.get(Ticket, ticket.duplicate_of_id)
        if main is not None:
            views.append(LinkView(None, "duplicate_of", "duplicate of", main.ref, main.title, main.status, False))
    for duplicate in session.scalars(select(Ticket).where(Ticket.duplicate_of_id == ticket.id).order_by(Ticket.id)):
        views.append(LinkView(None, "duplicates", "duplicate", duplicate.ref, duplicate.title, duplicate.status,
                              False))
    rows = session.execute(
        select(TicketLink, Ticket).join(Ticket, or_(
            (TicketLink.source_id == ticket.id) & (Ticket.id == TicketLink.target_id),
            (TicketLink.target_id == ticket.id) & (Ticket.id == TicketLink.source_id)))
        .where(or_(TicketLink.source_id == ticket.id, TicketLink.target_id == ticket.id)).order_by(TicketLink.id))
    for link, other in rows:
        mine = link.source_id == ticket.id
        kind = link.kind if mine else FROM_TARGET[link.kind]
        views.append(LinkView(link.id, kind, WORDS[link.kind][0 if mine else 1], other.ref, other.title,
                              other.status))
    return views


def _other(session: Session, ref: str) -> Ticket:
    try:
        return get_ticket(session, (ref or "").strip())
    except NotFound:
        raise ValidationFailed({"ref": [f"No ticket {ref.strip()!r}."]}) from None


def _check(session: Session, source: Ticket, target: Ticket, kind: str) -> None:
    if kind in PAIRS and (source.kind, target.kind) != PAIRS[kind][0]:
        raise ValidationFailed({"kind": [PAIRS[kind][1]]})
    pair = or_((TicketLink.source_id == source.id) & (TicketLink.target_id == target.id),
               (TicketLink.source_id == target.id) & (TicketLink.target_id == source.id))
    existing = session.scalar(select(TicketLink.kind).where(pair).limit(1))
    if existing is not None:
        raise Conflict(f"{source.ref} and {target.ref} are linked already ({WORDS[existing][0]}); "
                       "remove that link first.")
    if kind == "parent_of" and _is_ancestor(session, target.id, source.id):
        raise ValidationFailed({"ref": [f"{target.ref} is already above {source.ref}: a ticket cannot be its own "
                                        "ancestor."]})


def _is_ancestor(session: Session, candidate: int, ticket_id: int) -> bool:
    """Whether ``candidate`` is a parent, grandparent... of ``ticket_id``."""
    frontier: set[int] = {ticket_id}
    seen: set[int] = set()
    for _ in range(MAX_DEPTH):
        parents = set(session.scalars(select(TicketLink.source_id).where(
            TicketLink.kind == "parent_of", TicketLink.target_id.in_(frontier))))
        if candidate in parents:
            return True
        frontier = parents - seen
        if not frontier:
            return False
        seen |= parents
    return True  # deeper than any real hierarchy: refuse rather than risk a loop


def _audit(session: Session, source: Ticket, target: Ticket, kind: str, actor: Actor, action: str) -> None:
    words = WORDS[kind]
    audit.record(session, source, action, actor, {"link": f"{words[0]} {target.ref}"})
    audit.record(session, target, action, actor, {"link": f"{words[1]} {source.ref}"})


__all__ = ["AS_SEEN", "LINK_KINDS", "LinkView", "add_link", "links_of", "remove_link"]
