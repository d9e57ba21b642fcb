"""Merging a ticket into the one that tracks the same problem.

The duplicate closes (whatever its state: the lifecycle has no such move, so the merge owns
it), its resolution says "Duplicate of <main>" and ``duplicate_of_id`` points at the main
ticket. Its requester gets a public comment naming the main ticket, which the notify plugin
mails with their own status link; that link shows the main ticket's progress from then on
(hub.ui.status) and stays open until the main ticket's links expire. The main requester's
link is never handed to anyone. The main ticket gets an internal note naming the duplicate,
and both audit trails record the merge.

Only incidents merge. Refused, with the reason: a ticket into itself, into a ticket of
another kind, into a ticket in a final state, into a duplicate (no chains: merge into its
main ticket instead), and a ticket already in a final state. Duplicates of the merged ticket
move on to the new main ticket, so no chain forms that way either.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker import audit
from hub.tracker.comments import add_comment
from hub.tracker.states import MACHINES
from hub.tracker.tickets import enter_final_state, get_ticket, notify

MERGEABLE_KINDS = frozenset({"incident"})
#: The state a merged duplicate ends in.
MERGED_STATE = "closed"

PUBLIC_NOTE = ("The team handles the same problem as {main}, so your report was merged into {main} and closed "
               "here. Your status link keeps working: it now shows the progress of {main}.")
INTERNAL_NOTE = "{duplicate} ({title}) was merged into this ticket as a duplicate{requester}."


def check_main(session: Session, main: Ticket) -> None:
    """Refuse a main ticket nothing can merge into: a change, a duplicate, a ticket in a final state."""
    if main.kind not in MERGEABLE_KINDS:
        raise ValidationFailed({"into": [f"{main.ref} is a {main.kind}; only incidents are merged as duplicates."]},
                               "Only incidents are merged as duplicates.")
    if main.duplicate_of_id is not None:
        its_main = session.scalar(select(Ticket.ref).where(Ticket.id == main.duplicate_of_id))
        raise Conflict(f"{main.ref} is itself a duplicate of {its_main}; merge into {its_main} instead.")
    if main.status in MACHINES[main.kind].final_states:
        raise Conflict(f"{main.ref} is {main.status}; merge into an open ticket.")


def check_merge(session: Session, duplicate: Ticket, main: Ticket) -> None:
    """Raise ValidationFailed (the pair can never merge) or Conflict (not in these states)."""
    if duplicate.id == main.id:
        raise ValidationFailed({"into": [f"{duplicate.ref} cannot be merged into itself."]},
                               "A ticket cannot be merged into itself.")
    if duplicate.kind not in MERGEABLE_KINDS:
        raise ValidationFailed({"ref": [f"{duplicate.ref} is a {duplicate.kind}; only incidents are merged as "
                                        "duplicates."]}, "Only incidents are merged as duplicates.")
    check_main(session, main)
    if duplicate.status in MACHINES[duplicate.kind].final_states:
        raise Conflict(f"{duplicate.ref} is already {duplicate.status}; only an open or resolved ticket can be "
                       "merged.")


def lock_pair(session: Session, duplicate_ref: str, main_ref: str) -> tuple[Ticket, Ticket]:
    """Both tickets, locked for the merge in one order (by reference) whatever the direction,
    so two merges of the same pair in opposite directions cannot deadlock."""
    first, second = sorted((duplicate_ref.upper(), main_ref.upper()))
    locked = {first: get_ticket(session, first, for_update=True)}
    if second != first:
        locked[second] = get_ticket(session, second, for_update=True)
    return locked[duplicate_ref.upper()], locked[main_ref.upper()]


def merge_ticket(*, session: Session, duplicate: Ticket, main: Ticket, actor: Actor) -> Ticket:
    """Close ``duplicate`` as a duplicate of ``main``, tell its requester, note it on both."""
    check_merge(session, duplicate, main)
    old_resolution = duplicate.resolution
    resolution = f"Duplicate of {main.ref}."
    old = enter_final_state(session, duplicate, MERGED_STATE, actor)
    duplicate.resolution = resolution
    duplicate.duplicate_of_id = main.id
    audit.record(session, duplicate, "merged", actor, {
        "status": (old, MERGED_STATE), "duplicate_of": (None, main.ref), "resolution": (old_resolution, resolution)})
    audit.record(session, main, "duplicate_added", actor, {"duplicate": duplicate.ref})
    _move_duplicates(session, duplicate, main, actor)
    session.flush()
    # The lifecycle hooks see an ordinary close (SLA clocks stop, linked systems hear of it);
    # the notify plugin leaves the requester's mail to the public comment below.
    notify(session, "status_changed", ticket=duplicate, old=old, new=MERGED_STATE, actor=actor)
    add_comment(session=session, ticket=duplicate, body=PUBLIC_NOTE.format(main=main.ref), actor=actor,
                visibility="public")
    who = duplicate.requester_name or duplicate.requester_email
    requester = f"; its requester ({who}) follows this ticket on their own status link" if who else ""
    add_comment(session=session, ticket=main, actor=actor, visibility="internal",
                body=INTERNAL_NOTE.format(duplicate=duplicate.ref, title=duplicate.title, requester=requester))
    return duplicate


def _move_duplicates(session: Session, merged: Ticket, main: Ticket, actor: Actor) -> None:
    """Tickets merged into ``merged`` earlier now follow ``main``: a duplicate points at a main
    ticket, never at another duplicate."""
    for earlier in session.scalars(select(Ticket).where(Ticket.duplicate_of_id == merged.id).order_by(Ticket.id)):
        earlier.duplicate_of_id = main.id
        audit.record(session, earlier, "duplicate_moved", actor, {"duplicate_of": (merged.ref, main.ref)},
                     f"{merged.ref} was merged into {main.ref}.")


def duplicates_of(session: Session, ticket: Ticket, *, limit: int = 200) -> list[Ticket]:
    """The tickets merged into this one, oldest first."""
    return list(session.scalars(select(Ticket).where(Ticket.duplicate_of_id == ticket.id)
                                .order_by(Ticket.id).limit(limit)))


def main_of(session: Session, ticket: Ticket) -> Ticket | None:
    """The main ticket a duplicate follows (None for a ticket that is no duplicate)."""
    if ticket.duplicate_of_id is None:
        return None
    return session.get(Ticket, ticket.duplicate_of_id)
