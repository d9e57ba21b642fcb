"""One-click satisfaction from the resolution mail: /rate/<token>, one signed link per score.

Opening a link records nothing: mail scanners and link previews open every link in a mail,
so a GET that recorded would rate the ticket 1 (the first link) before the requester read
it. The page shows the score the link named, already chosen, with the optional comment;
the requester's one press of "Send rating" (a POST) records it. A second visit, of any of
the five links, says the rating is recorded. A bad or expired link answers a readable page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from hub.api.context import reading, unit_of_work
from hub.api.throttle import rate_limited
from hub.auth.web import public
from hub.sdk.i18n import for_requesters, gettext
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.tracker import surveys
from hub.tracker.survey_links import OpenedSurveyLink, SurveyLinkRefused, open_token
from hub.ui.languages import speak_ticket_language

bp = Blueprint("survey_links", __name__)
REFUSAL_STATUS = {"invalid": 404, "expired": 410}
TEMPLATE = "status/rate.html"


@bp.after_request
def keep_the_link_private(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refused(refused: SurveyLinkRefused) -> Any:
    return render_template(TEMPLATE, refused=refused), REFUSAL_STATUS[refused.reason]


def _page(opened: OpenedSurveyLink, token: str, **extra: Any) -> str:
    speak_ticket_language(opened.ticket.language)
    return render_template(TEMPLATE, ticket=opened.ticket, score=opened.score, token=token,
                           can_rate=surveys.can_rate(opened.ticket), **extra)


@bp.get("/rate/<token>")
@for_requesters
@public
def confirm(token: str) -> Any:
    """The score the link named, ready to send; nothing is recorded by opening it."""
    with reading() as session:
        try:
            return _page(open_token(session, token), token)
        except SurveyLinkRefused as refused:
            return _refused(refused)


def _write(token: str, work: Any) -> Any:
    errors: dict[str, list[str]] = {}
    try:
        with unit_of_work() as session:
            opened = open_token(session, token)
            work(session, opened)
            return _page(opened, token, done=True)
    except SurveyLinkRefused as refused:
        return _refused(refused)
    except TrackerError as error:
        errors = error.errors if isinstance(error, ValidationFailed) else {"score": [gettext(error.detail)]}
        status = error.status
    with reading() as session:
        try:
            return _page(open_token(session, token), token, errors=errors), status
        except SurveyLinkRefused as refused:
            return _refused(refused)


@bp.post("/rate/<token>")
@for_requesters
@public
@rate_limited("30 per 15 minutes", scope="survey-link")
def record(token: str) -> Any:
    """Record the score the requester confirmed (and their comment, if they wrote one)."""
    raw = request.form.get("score", "")
    comment = request.form.get("comment", "")

    def rate(session: Any, opened: OpenedSurveyLink) -> None:
        # The page lets them change their mind before sending; the link only pre-chooses.
        score = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 1 else opened.score
        surveys.record_survey(session=session, ticket=opened.ticket, score=score, comment=comment)

    return _write(token, rate)


@bp.post("/rate/<token>/comment")
@for_requesters
@public
@rate_limited("30 per 15 minutes", scope="survey-link")
def comment(token: str) -> Any:
    """A comment after the rating, once."""
    text = request.form.get("comment", "")
    return _write(token, lambda session, opened: surveys.add_survey_comment(session=session, ticket=opened.ticket,
                                                                            comment=text))
