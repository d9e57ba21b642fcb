"""Applying an event to the ticket it names: move it, update it, or add the reply to it.

The pipeline (hub.ingest.pipeline) found the ticket by a reference, a thread or an external
link; here the draft's action decides what happens to it. A reply whose sender is not
proven is held for an agent's review instead of speaking for the requester.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.ingest.outcomes import Outcome, attach_files, joined
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.values import TicketDraft
from hub.tracker import correlate
from hub.tracker.states import MACHINES

REVIEW_TAG = "needs-review"


def apply_to_known(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor,
                   event: Any) -> Outcome:
    """The event concerns a known ticket: comment on it, update it or move it."""
    correlate.remember_thread_key(session, target.ticket.id, draft.thread_key)
    add_new_targets(session, draft, target.ticket, actor)
    if draft.action == "transition":
        return _transition(session, draft, target, actor)
    if draft.action == "update" and draft.extra.get("sync"):
        # Two-way sync: the sync engine decides field by field (direction, conflicts, echoes).
        from hub.sync import apply_remote_update

        return apply_remote_update(session, draft, target, actor, event)
    if draft.action == "update":
        return _update(session, draft, target, actor)
    return _reply(session, draft, target, actor, event)


def add_new_targets(session: Session, draft: TicketDraft, ticket: Ticket, actor: Actor) -> int:
    """A change request sent again naming more lines or rooms gets a task for each new one (those
    with a task already are left out); a change in a final state keeps its tasks as they were."""
    from hub.tracker.change_tasks import add_draft_targets

    if not draft.targets or ticket.kind != "change" or ticket.status in MACHINES["change"].final_states:
        return 0
    return len(add_draft_targets(session, ticket, draft.targets, actor))


def reopen_if_resolved(session: Session, ticket: Ticket, actor: Actor, note: str) -> bool:
    from hub.tracker.tickets import transition_ticket

    if ticket.status != "resolved" or ticket.kind != "incident":
        return False
    transition_ticket(session=session, ticket=ticket, to="in_progress", actor=actor, note=note)
    return True


def _transition(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor) -> Outcome:
    from hub.tracker.tickets import transition_ticket

    if not draft.status:
        raise ValueError("a transition draft needs a status")
    transition_ticket(session=session, ticket=target.ticket, to=draft.status, actor=actor, note=draft.comment)
    return Outcome("applied", action="transitioned", ticket=target.ticket, reason=target.reason)


def _update(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor) -> Outcome:
    """New values from a one-way source: a blank title keeps the ticket's own."""
    from hub.ingest.drafts import values_from_draft
    from hub.tracker.comments import add_comment
    from hub.tracker.tickets import transition_ticket, update_ticket

    ticket = target.ticket
    values = {name: value for name, value in values_from_draft(draft).items() if name != "title" or value}
    update_ticket(session=session, ticket=ticket, values=values, actor=actor, create_loose=True)
    if draft.status and draft.status != ticket.status:
        transition_ticket(session=session, ticket=ticket, to=draft.status, actor=actor)
    if draft.comment:
        add_comment(session=session, ticket=ticket, body=draft.comment, visibility=draft.comment_visibility,
                    actor=actor)
    return Outcome("applied", action="updated", ticket=ticket, reason=target.reason)


def _reply(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor, event: Any) -> Outcome:
    """A reply or note: held for review, kept as a note on a closed ticket, or added (reopening)."""
    from hub.tracker.comments import add_comment

    ticket = target.ticket
    body = draft.comment or draft.description or draft.title
    held = needs_review(draft, ticket)
    if held:
        return _hold_for_review(session, draft, target, actor, event, body, held)
    if not ticket.status or ticket.status in MACHINES[ticket.kind].final_states:
        reason = f"{ticket.ref} is {ticket.status}; the reply is kept on it as a note."
        add_comment(session=session, ticket=ticket, body=body, visibility="internal", actor=actor)
        return Outcome("applied", action="commented", ticket=ticket, reason=joined(reason, draft.reason))
    reopened = draft.reopen_on_repeat and reopen_if_resolved(session, ticket, actor, "Reopened by a reply.")
    comment = add_comment(session=session, ticket=ticket, body=body, visibility=draft.comment_visibility, actor=actor)
    attach_files(session, draft, ticket, event, actor, comment_id=comment.id)
    return Outcome("applied", action="reopened" if reopened else "commented", ticket=ticket,
                   reason=joined(target.reason, draft.reason))


def needs_review(draft: TicketDraft, ticket: Ticket) -> str | None:
    """Why a reply must wait for an agent: its sender failed a check, or is not proven and
    it would reopen the ticket. A forged reply must not speak for the requester."""
    if draft.sender_check in (None, "pass"):
        return None
    note = draft.sender_check_note or "no verdict"
    if draft.sender_check == "fail":
        return f"Held for review: the sender failed authentication ({note}); the reply may be forged."
    if draft.reopen_on_repeat and ticket.status == "resolved" and ticket.kind == "incident":
        return f"Held for review: a reply whose sender is not proven ({note}) would reopen {ticket.ref}."
    return None


def _hold_for_review(session: Session, draft: TicketDraft, target: correlate.Target, actor: Actor, event: Any,
                     body: str, why: str) -> Outcome:
    """Keep the reply as an internal note, tag the ticket for review, change nothing else, audit why."""
    from hub.tracker.audit import record
    from hub.tracker.comments import add_comment
    from hub.tracker.tickets import update_ticket

    ticket = target.ticket
    draft.comment_visibility = "internal"  # its files too
    comment = add_comment(session=session, ticket=ticket, body=body, visibility="internal", actor=actor)
    attach_files(session, draft, ticket, event, actor, comment_id=comment.id)
    channel = Actor(type="connector", name=actor.origin.removeprefix("connector:"), origin=actor.origin,
                    id=str(actor.instance_id) if actor.instance_id else None, instance_id=actor.instance_id)
    if REVIEW_TAG not in (ticket.tags or []):
        update_ticket(session=session, ticket=ticket, values={"tags": [*(ticket.tags or []), REVIEW_TAG]},
                      actor=channel)
    record(session, ticket, "held_for_review", channel, {"comment_id": comment.id, "sender": actor.id},
           note=f"{why} Kept as an internal note and the ticket left as it was; publish the note or reopen the "
           f"ticket once the sender is confirmed, then remove the tag {REVIEW_TAG}.")
    return Outcome("applied", action="commented", ticket=ticket, reason=joined(target.reason, why, draft.reason))
