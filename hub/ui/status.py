"""The requester's status page, /s/<token>: no account, just the private link.

It shows the status in plain words, the public updates, and the expected times; the
requester can answer, say whether a resolved ticket is solved, and rate the help once.
It speaks the requester's language (hub.ui.languages): their choice, else the ticket's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.api.context import runtime
from hub.api.throttle import hashed, rate_limited
from hub.auth.web import public
from hub.models import AuditEvent, Comment, Ticket, User
from hub.sdk.i18n import N_, for_requesters, gettext, lazy_gettext
from hub.sdk.tracker_errors import Conflict, TrackerError, ValidationFailed
from hub.tracker import surveys
from hub.tracker.comments import add_comment
from hub.tracker.merge import main_of
from hub.tracker.people import public_author_of
from hub.tracker.status_links import ticket_for_token
from hub.ui.languages import speak_ticket_language

bp = Blueprint("status", __name__)


@bp.after_request
def keep_the_link_private(response: Any) -> Any:
    """The page and its token are the requester's: no cache keeps them, no link passes them on."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

PLAIN_STATUS = {
    "new": lazy_gettext("Received. The team will look at it soon."),
    "acknowledged": lazy_gettext("Seen by the team."),
    "in_progress": lazy_gettext("Being worked on."),
    "on_hold": lazy_gettext("On hold: waiting for something before work can go on."),
    "resolved": lazy_gettext("Resolved. Is it solved for you?"),
    "closed": lazy_gettext("Closed."),
    "cancelled": lazy_gettext("Cancelled."),
    "draft": lazy_gettext("Being prepared."),
    "submitted": lazy_gettext("Submitted for review."),
    "assessment": lazy_gettext("Being assessed."),
    "approved": lazy_gettext("Approved."),
    "rejected": lazy_gettext("Not approved."),
    "scheduled": lazy_gettext("Scheduled."),
    "implementing": lazy_gettext("Being carried out."),
    "review": lazy_gettext("Done; being reviewed."),
    "failed": lazy_gettext("Could not be completed."),
    "backed_out": lazy_gettext("Undone."),
}


#: HUB_TEAM_NAME's default is the hub's own words, so it is translated; a name an admin chose is theirs.
DEFAULT_TEAM_NAME = N_("The support team")


def _in_their_words(author: str) -> str:
    return gettext(author) if author == DEFAULT_TEAM_NAME else author


def public_timeline(session: Any, ticket: Ticket) -> list[dict[str, Any]]:
    """What the requester may see: public comments and status changes, oldest first."""
    entries: list[dict[str, Any]] = [{"at": ticket.created_at, "kind": "created",
                                      "text": gettext("Your report was received.")}]
    for comment in session.scalars(select(Comment).where(Comment.ticket_id == ticket.id,
                                                         Comment.visibility == "public").order_by(Comment.id)):
        entries.append({"at": comment.created_at, "kind": "comment",
                        "author": _in_their_words(public_author_of(session, comment, ticket.group_id)),
                        "from_requester": comment.author_type == "requester", "text": comment.body})
    entries += status_entries(session, ticket)
    return sorted(entries, key=lambda entry: entry["at"])


def status_entries(session: Any, ticket: Ticket, words: dict[str, str] = PLAIN_STATUS) -> list[dict[str, Any]]:
    """The ticket's moves from state to state, in plain words, oldest first."""
    entries = []
    for event in session.scalars(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id,
                                                          AuditEvent.action.in_(("transitioned", "reopened")))
                                 .order_by(AuditEvent.id)):
        new = (event.changes or {}).get("status", [None, None])[1]
        if new:
            entries.append({"at": event.at, "kind": "status", "text": words.get(new, new)})
    return entries


#: A main ticket's states as the requester of a duplicate reads them: the resolution is
#: confirmed by the main ticket's own requester, so theirs is not asked.
FOLLOWED_STATUS = {**PLAIN_STATUS, "resolved": lazy_gettext("Resolved by the team.")}


def followed(session: Any, ticket: Ticket) -> dict[str, Any] | None:
    """What the requester of a merged duplicate sees of its main ticket: the reference, the state
    and its moves, and when a solution is expected. Never the main ticket's title, text,
    comments, files or requester: those are another requester's."""
    main = main_of(session, ticket)
    if main is None:
        return None
    return {"ref": main.ref, "plain": FOLLOWED_STATUS.get(main.status, main.status),
            "solution_due": main.resolve_due_at if main.resolved_at is None else None,
            "timeline": status_entries(session, main, FOLLOWED_STATUS)}


def _ticket(session: Any, token: str) -> Ticket:
    """The link's ticket; from here on the page speaks its language (unless the requester chose
    one) and shows times in the requester's zone when they have an account."""
    ticket = ticket_for_token(session, token)
    if ticket is None:
        abort(404, gettext("This status link is not valid (any more). Ask the team for a new one."))
    zone = session.scalar(select(User.timezone).where(User.id == ticket.requester_user_id)) \
        if ticket.requester_user_id else None
    speak_ticket_language(ticket.language, zone)
    return ticket


@bp.get("/s/<token>")
@for_requesters
@public
def status_page(token: str) -> Any:
    with runtime().db.transaction() as session:
        ticket = _ticket(session, token)
        plain = PLAIN_STATUS.get(ticket.status, ticket.status)
        return render_template("status/status.html", ticket=ticket, plain=plain,
                               timeline=public_timeline(session, ticket), token=token,
                               followed=followed(session, ticket),
                               can_reply=ticket.status not in CLOSED, can_rate=surveys.can_rate(ticket),
                               asks_confirmation=ticket.status == "resolved", max_text=MAX_REPLY)


#: Replies and answers a status link may send per hour: enough for a conversation, not for a flood.
ACTIONS_PER_HOUR = 30
MAX_REPLY = 10_000
CLOSED = frozenset({"closed", "cancelled", "rejected", "failed", "backed_out"})


def _link() -> str:
    return hashed(str((request.view_args or {}).get("token", "")))


def _slow_down(_limit: Any) -> Any:
    """Over the limit: said on the page, never as an error page."""
    flash(gettext("Too many messages in a short time. Please wait a little and try again."), "error")
    return redirect(url_for("status.status_page", token=(request.view_args or {}).get("token", "")))


#: Each status link's answers share one count, whoever sends them.
limited_per_link = rate_limited(f"{ACTIONS_PER_HOUR} per hour", key=_link, scope="status-page-actions",
                                on_breach=_slow_down)


def _act(token: str, action: Any) -> Any:
    """Run one requester action; a refusal is shown on the page, never as an error page."""
    with runtime().db.transaction() as session:
        ticket = _ticket(session, token)
        try:
            with session.begin_nested():
                message = action(session, ticket)
            flash(message, "success")
        except TrackerError as exc:
            # The tracker's messages are marked for the catalogue (N_); they are read here.
            errors = getattr(exc, "errors", None) or {}
            messages = [gettext(exc.detail)] + [gettext(msg) for msgs in errors.values() for msg in msgs]
            flash(" ".join(messages), "error")
    return redirect(url_for("status.status_page", token=token))


@bp.post("/s/<token>/reply")
@for_requesters
@public
@limited_per_link
def reply(token: str) -> Any:
    text = request.form.get("body", "").strip()

    def add(session: Any, ticket: Ticket) -> str:
        if not text:
            raise ValidationFailed({"body": [gettext("Write a message first.")]}, gettext("Nothing to send."))
        if len(text) > MAX_REPLY:
            raise ValidationFailed({"body": [gettext("At most %(count)s characters.", count=MAX_REPLY)]},
                                   gettext("The message is too long."))
        if ticket.status in CLOSED:
            raise Conflict(gettext("This ticket is closed. Please report a new problem instead."))
        add_comment(session=session, ticket=ticket, body=text, actor=surveys.requester_actor(ticket))
        return gettext("Your message was added. The team has been told.")

    return _act(token, add)


@bp.post("/s/<token>/confirm")
@for_requesters
@public
@limited_per_link
def confirm(token: str) -> Any:
    solved = request.form.get("solved") == "yes"
    note = request.form.get("note", "")

    def answer(session: Any, ticket: Ticket) -> str:
        surveys.confirm_resolution(session=session, ticket=ticket, solved=solved, note=note)
        if solved:
            return gettext("Thank you: the ticket is closed.")
        return gettext("Sorry it is not solved: the team is on it again.")

    return _act(token, answer)


@bp.post("/s/<token>/rate")
@for_requesters
@public
@limited_per_link
def rate(token: str) -> Any:
    raw = request.form.get("score", "")
    comment = request.form.get("comment", "")

    def answer(session: Any, ticket: Ticket) -> str:
        # The length first: int() of thousands of digits is slow, then refused with a ValueError.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
            raise ValidationFailed({"score": [gettext("Choose 1 to 5.")]}, gettext("Please choose a rating."))
        if len(comment.strip()) > surveys.MAX_COMMENT:
            raise ValidationFailed({"comment": [gettext("At most %(count)s characters.", count=surveys.MAX_COMMENT)]})
        surveys.record_survey(session=session, ticket=ticket, score=int(raw), comment=comment)
        return gettext("Thank you for your rating.")

    return _act(token, answer)
