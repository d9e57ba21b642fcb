"""Canned replies: templates agents insert into a comment, with placeholders filled in.

A reply is shared (``owner_id`` None: made by an admin, offered to every agent) or an
agent's own. Placeholders are ``{name}`` from :data:`PLACEHOLDERS`; ``{{`` and ``}}`` are
literal braces. Anything else in braces is refused when the reply is saved, so a typo is
found by its author and never reaches a requester, and no template can reach into an
object (``{ticket.__class__}``): rendering substitutes known names only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from hub.models import CannedReply, Ticket, User
from hub.runtime import runtime_of
from hub.tracker.errors import NotFound, ValidationFailed

TITLE_MAX = 120
BODY_MAX = 20_000
VISIBILITIES = ("public", "internal")
PLACEHOLDERS = {
    "requester_name": "the requester's name (or 'there' when unknown)",
    "ticket_ref": "the ticket's reference, e.g. INC-000123",
    "ticket_title": "the ticket's title",
    "status_link": "the requester's private status page link",
    "agent_name": "your display name",
}


@dataclass(frozen=True)
class Editor:
    """Who edits replies: their user id and whether they may keep shared ones."""

    user_id: int | None
    admin: bool


def placeholder_errors(body: str) -> list[str]:
    """What is wrong with a body's placeholders (empty when every one is known)."""
    problems = []
    try:
        parsed = list(Formatter().parse(body))
    except ValueError as exc:
        return [f"Braces do not pair up ({exc}); write {{{{ and }}}} for a literal brace."]
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
            problems.append(f"Unknown placeholder {{{name}}}. Known: {known}.")
    return problems


def _validated(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title = values.get("title")
    body = values.get("body")
    visibility = values.get("visibility") or "public"
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ["Give the reply a title."]
    elif len(title.strip()) > TITLE_MAX:
        errors["title"] = [f"At most {TITLE_MAX} characters."]
    if not isinstance(body, str) or not body.strip():
        errors["body"] = ["A reply needs some text."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"At most {BODY_MAX} characters."]
    else:
        problems = placeholder_errors(body)
        if problems:
            errors["body"] = problems
    if visibility not in VISIBILITIES:
        errors["visibility"] = ["Must be public or internal."]
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(title, str)
    assert isinstance(body, str)
    return {"title": title.strip(), "body": body.strip(), "visibility": visibility}


def visible_to(session: Session, user_id: int | None) -> list[CannedReply]:
    """The replies a user may insert: the shared ones and their own, by title."""
    clause: ColumnElement[bool] = CannedReply.owner_id.is_(None)
    if user_id is not None:
        clause = or_(clause, CannedReply.owner_id == user_id)
    return list(session.scalars(select(CannedReply).where(clause).order_by(CannedReply.title, CannedReply.id)))


def get_reply(session: Session, reply_id: int, user_id: int | None) -> CannedReply:
    reply = session.get(CannedReply, reply_id)
    if reply is None or (reply.owner_id is not None and reply.owner_id != user_id):
        raise NotFound(f"No canned reply {reply_id}.")
    return reply


def _check_title_free(session: Session, title: str, owner_id: int | None, keep: int | None = None) -> None:
    clash = select(CannedReply.id).where(CannedReply.title == title, CannedReply.owner_id.is_(None)
                                         if owner_id is None else CannedReply.owner_id == owner_id)
    if keep is not None:
        clash = clash.where(CannedReply.id != keep)
    if session.scalar(clash.limit(1)) is not None:
        raise ValidationFailed({"title": [f"You already have a reply called {title!r}."]})


def create_reply(session: Session, editor: Editor, values: Mapping[str, Any]) -> CannedReply:
    clean = _validated(values)
    shared = bool(values.get("shared"))
    if shared and not editor.admin:
        raise ValidationFailed({"shared": ["Only an admin keeps shared replies; make it your own."]})
    owner_id = None if shared else editor.user_id
    if owner_id is None and not shared:
        raise ValidationFailed({"shared": ["A token without a user can only keep shared replies."]})
    _check_title_free(session, clean["title"], owner_id)
    now = runtime_of(session).now()
    reply = CannedReply(owner_id=owner_id, uses=0, created_at=now, updated_at=now, **clean)
    session.add(reply)
    session.flush()
    return reply


def _may_edit(reply: CannedReply, editor: Editor) -> None:
    if reply.owner_id is None and not editor.admin:
        raise ValidationFailed({"shared": ["Only an admin changes a shared reply."]})


def update_reply(session: Session, editor: Editor, reply_id: int, values: Mapping[str, Any]) -> CannedReply:
    reply = get_reply(session, reply_id, editor.user_id)
    _may_edit(reply, editor)
    merged = {"title": reply.title, "body": reply.body, "visibility": reply.visibility, **values}
    clean = _validated(merged)
    _check_title_free(session, clean["title"], reply.owner_id, keep=reply.id)
    for name, value in clean.items():
        setattr(reply, name, value)
    reply.updated_at = runtime_of(session).now()
    session.flush()
    return reply


def delete_reply(session: Session, editor: Editor, reply_id: int) -> None:
    reply = get_reply(session, reply_id, editor.user_id)
    _may_edit(reply, editor)
    session.delete(reply)
    session.flush()


def record_use(session: Session, reply_id: int) -> None:
    """Count one use (a comment was posted with the reply inserted); one statement, no race."""
    session.execute(update(CannedReply).where(CannedReply.id == reply_id).values(uses=CannedReply.uses + 1))


def fill(body: str, values: Mapping[str, str]) -> str:
    """The body with its placeholders replaced; only known names are ever looked up."""
    parts = []
    for literal, name, _, _ in Formatter().parse(body):
        parts.append(literal)
        if name is not None:
            parts.append(values.get(name, ""))
    return "".join(parts)


def render(session: Session, reply: CannedReply, ticket: Ticket, agent_user_id: int | None,
           agent_name: str) -> str:
    """The reply as the requester will read it, for this ticket and agent.

    ``{status_link}`` issues the ticket's status link if it has none yet, so call this in
    a writing transaction.
    """
    from hub.tracker.status_links import status_url

    display = agent_name
    if agent_user_id is not None:
        user = session.get(User, agent_user_id)
        display = (user.display_name or user.username) if user is not None else agent_name
    values = {
        "requester_name": ticket.requester_name or "there",
        "ticket_ref": ticket.ref,
        "ticket_title": ticket.title,
        "agent_name": display,
        "status_link": status_url(session, ticket) if "{status_link}" in reply.body else "",
    }
    return fill(reply.body, values)
