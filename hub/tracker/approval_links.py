"""One-click approval links mailed to a change's approvers: signed, expiring, used once.

The token in the mail is sealed with the hub's secret box (authenticated encryption: it
cannot be forged or altered) and names an ``approval_links`` row and a nonce whose hash
the row keeps. Opening the link only shows a confirmation page; the decision is the POST
from it. The link stops working when it expires (HUB_APPROVAL_LINK_HOURS), once used,
when the change left assessment, or when its round was superseded by a rework.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.crypto import SecretsUnreadable
from hub.core.runtime import runtime_of
from hub.models import Approval, ApprovalLink, Ticket, User
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict
from hub.tracker.approvals import _is_author, decide
from hub.tracker.cab import IMPLEMENTED, current_cycle, member_ids, policy_for, round_approvals

MAX_TOKEN = 1000


class LinkRefused(Conflict):
    """The link cannot decide (any more): ``reason`` is invalid, expired, used or closed."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class OpenedLink:
    link: ApprovalLink
    ticket: Ticket
    user: User


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _hours(session: Session) -> int:
    return int(runtime_of(session).settings.get("APPROVAL_LINK_HOURS") or 72)


def approvers_to_ask(session: Session, ticket: Ticket) -> list[User]:
    """The board members who may decide on the change and have an address to mail."""
    policy = policy_for(session, ticket.change_type, ticket.risk)
    if policy is None:
        return []
    ids = member_ids(session, policy.group_id)
    people = session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.username))
    return [user for user in people if user.email and not _is_author(session, ticket, _actor(user))]


def undecided_approvers(session: Session, ticket: Ticket) -> list[str] | None:
    """Board members (but the author) who have not decided in this round; None with no board."""
    if policy_for(session, ticket.change_type, ticket.risk) is None:
        return None
    decided = {a.approver_user_id for a in round_approvals(session, ticket, current_cycle(session, ticket))}
    policy = policy_for(session, ticket.change_type, ticket.risk)
    assert policy is not None
    people = session.scalars(select(User).where(User.id.in_(member_ids(session, policy.group_id)),
                                                User.active.is_(True)).order_by(User.username))
    return [user.username for user in people
            if user.id not in decided and not _is_author(session, ticket, _actor(user))]


def issue_link(session: Session, ticket: Ticket, user: User) -> str:
    """A new link for ``user`` to decide on ``ticket``; returns the token to put in the URL."""
    runtime = runtime_of(session)
    nonce = secrets.token_urlsafe(24)
    now = runtime.now()
    link = ApprovalLink(ticket_id=ticket.id, user_id=user.id, nonce_hash=_hash(nonce),
                        cycle=current_cycle(session, ticket), expires_at=now + timedelta(hours=_hours(session)),
                        created_at=now)
    session.add(link)
    session.flush()
    return runtime.secrets.seal({"link": link.id, "nonce": nonce})


def link_url(session: Session, token: str) -> str:
    base = str(runtime_of(session).settings.get("BASE_URL", "")).rstrip("/")
    return f"{base}/approve/{token}"


def open_link(session: Session, token: str) -> OpenedLink:
    """The link's change and approver, if it may still decide; LinkRefused (409) says why not."""
    runtime = runtime_of(session)
    try:
        sealed = runtime.secrets.open(token) if token and len(token) <= MAX_TOKEN else {}
    except SecretsUnreadable:
        sealed = {}
    link = session.get(ApprovalLink, sealed["link"]) if isinstance(sealed.get("link"), int) else None
    nonce = sealed.get("nonce")
    if link is None or not isinstance(nonce, str) or not hmac.compare_digest(link.nonce_hash, _hash(nonce)):
        raise LinkRefused("invalid", "This approval link is not valid. Open the change in the hub to decide.")
    ticket, user = session.get(Ticket, link.ticket_id), session.get(User, link.user_id)
    if ticket is None or user is None or not user.active:
        raise LinkRefused("invalid", "This approval link is not valid. Open the change in the hub to decide.")
    if link.used_at is not None:
        raise LinkRefused("used", f"This link was used on {_moment(link.used_at)}; each link decides once.")
    if runtime.now() >= link.expires_at:
        raise LinkRefused("expired", f"This link expired on {_moment(link.expires_at)}. "
                                     f"Open {ticket.ref} in the hub to decide.")
    deciding = ticket.status == "assessment" or (ticket.change_type == "emergency" and ticket.status in IMPLEMENTED)
    if not deciding or link.cycle != current_cycle(session, ticket):
        raise LinkRefused("closed", f"{ticket.ref} is {ticket.status.replace('_', ' ')}: it no longer awaits "
                                    "this decision.")
    return OpenedLink(link, ticket, user)


def use_link(session: Session, token: str, *, decision: str, comment: str = "",
             override_reason: str | None = None) -> Approval:
    """Decide through the link (the confirmation page's POST) and spend it."""
    opened = open_link(session, token)
    approval = decide(session=session, ticket=opened.ticket, decision=decision, actor=_actor(opened.user),
                      comment=comment, channel="mail", override_reason=override_reason)
    opened.link.used_at = runtime_of(session).now()
    return approval


def _actor(user: User) -> Actor:
    return Actor(type="user", name=user.username, origin="mail-link", id=str(user.id), user_id=user.id,
                 role=user.role)


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
