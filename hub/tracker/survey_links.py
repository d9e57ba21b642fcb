"""One-click satisfaction: the resolution mail's five signed links, one per score.

A link is ``/rate/<ref>.<score>.<expires>.<signature>``: an HMAC-SHA256 of the rest under the
hub's SECRET_KEY, so nobody can make one for another ticket or score, or move its expiry.
It needs no table: what makes a click idempotent is the ticket's score itself, taken once per
ticket (hub.tracker.surveys), so a second click, of any score, says the score is recorded.
A score is not changed by a later click: a flag at risk or a report may already rest on it,
and the status page never allowed it either. The links work HUB_SURVEY_LINK_DAYS days.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Ticket
from hub.sdk.tracker_errors import Conflict, NotFound
from hub.tracker.tickets import get_ticket

MAX_TOKEN = 200
SCORES = (1, 2, 3, 4, 5)


class SurveyLinkRefused(Conflict):
    """The link cannot record: ``reason`` is ``invalid`` or ``expired``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class OpenedSurveyLink:
    ticket: Ticket
    score: int
    expires_at: datetime


def _key(session: Session) -> bytes:
    secret = str(runtime_of(session).settings.get("SECRET_KEY") or "")
    if not secret:
        raise RuntimeError("HUB_SECRET_KEY is empty: the hub cannot sign survey links")
    return hashlib.sha256(b"survey-link:" + secret.encode()).digest()


def _signature(session: Session, payload: str) -> str:
    digest = hmac.new(_key(session), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_days(session: Session) -> int:
    return int(runtime_of(session).settings.get("SURVEY_LINK_DAYS") or 14)


def make_token(session: Session, ref: str, score: int, *, now: datetime | None = None) -> str:
    expires = (now or runtime_of(session).now()) + timedelta(days=link_days(session))
    payload = f"{ref}.{score}.{int(expires.timestamp())}"
    return f"{payload}.{_signature(session, payload)}"


def survey_links(session: Session, ref: str) -> list[tuple[int, str]]:
    """The five links for the resolution mail: ``[(score, absolute url), ...]``."""
    base = str(runtime_of(session).settings.get("BASE_URL", "")).rstrip("/")
    now = runtime_of(session).now()
    return [(score, f"{base}/rate/{make_token(session, ref, score, now=now)}") for score in SCORES]


def open_token(session: Session, token: str) -> OpenedSurveyLink:
    """The ticket and score a link names, if its signature holds and it has not expired."""
    invalid = SurveyLinkRefused("invalid", "This rating link is not valid. Use the link in your mail as it is, "
                                           "or rate on your request's status page.")
    parts = token.split(".") if token and len(token) <= MAX_TOKEN else []
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
        raise invalid
    ref, score, expires, signature = parts
    if not hmac.compare_digest(signature, _signature(session, f"{ref}.{score}.{expires}")):
        raise invalid
    if int(score) not in SCORES:
        raise invalid
    try:
        ticket = get_ticket(session, ref)
    except NotFound:
        raise invalid from None
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if runtime_of(session).now() >= expires_at:
        raise SurveyLinkRefused("expired", f"This rating link expired on {expires_at:%Y-%m-%d}. You can still "
                                           "tell us how we did by replying to the mail.")
    return OpenedSurveyLink(ticket, int(score), expires_at)
