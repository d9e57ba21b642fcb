"""One-click rating links: signed per ticket and score, expiring, a GET records nothing, the
POST records once (a second click of any score says so), a comment may follow once, and a
tampered, unknown or expired link answers a readable page, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.models import Ticket
from hub.sdk.actors import Actor
from tests.conftest import ApiClient

AGENT = Actor(type="user", name="alice", origin="api")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["BASE_URL"] = "http://hub.test"
    app_config["SURVEY_LINK_DAYS"] = 7
    return app_config


def resolved_ticket(app: Flask, api: ApiClient, email: str = "ana@example.com") -> str:
    ref = str(api.post("/api/v1/incidents", json={"title": "Cabin 4 is cold", "requester": {"email": email}})
              .json["ref"])
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved",
                                                                  "resolution": "Fixed"}).status_code == 200
    return ref


def links(app: Flask, ref: str) -> dict[int, str]:
    from hub.tracker.survey_links import survey_links

    with app.extensions["hub"].db.transaction() as session:
        return {score: url.removeprefix("http://hub.test") for score, url in survey_links(session, ref)}


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def score_of(app: Flask, ref: str) -> tuple[int | None, str | None]:
    with app.extensions["hub"].db.reading() as session:
        row = session.execute(select(Ticket.csat_score, Ticket.csat_comment).where(Ticket.ref == ref)).one()
        return row[0], row[1]


def test_five_signed_links_one_per_score(app: Flask, api: ApiClient) -> None:
    ref = resolved_ticket(app, api)
    found = links(app, ref)
    assert sorted(found) == [1, 2, 3, 4, 5]
    assert all(url.startswith(f"/rate/{ref}.{score}.") for score, url in found.items())


def test_opening_records_nothing_the_press_records_once(app: Flask, api: ApiClient) -> None:
    ref = resolved_ticket(app, api)
    client = app.test_client()
    page = client.get(links(app, ref)[4])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="4" checked' in html and "Send rating" in html
    assert 'id="rate-form" data-autosubmit' in html  # a browser sends it as it opens (hub.js); a scanner does not
    assert page.headers["Cache-Control"] == "no-store"
    assert score_of(app, ref) == (None, None)  # a mail scanner's GET rates nothing
    sent = client.post(links(app, ref)[4], data={"csrf_token": csrf(html), "score": "4"})
    assert sent.status_code == 200 and "You rated this 4 out of 5" in sent.get_data(as_text=True)
    assert score_of(app, ref) == (4, None)
    again = client.get(links(app, ref)[1]).get_data(as_text=True)  # another score later: kept, and said so
    assert "Your rating was recorded already." in again and "You rated this 4 out of 5" in again
    repost = client.post(links(app, ref)[1], data={"csrf_token": csrf(again), "score": "1"})
    assert repost.status_code == 409 and "rated already" in repost.get_data(as_text=True)
    assert score_of(app, ref) == (4, None)
    commented = client.post(links(app, ref)[4] + "/comment", data={"csrf_token": csrf(again),
                                                                   "comment": "Quick and friendly"})
    assert commented.status_code == 200 and score_of(app, ref) == (4, "Quick and friendly")
    twice = client.post(links(app, ref)[4] + "/comment", data={"csrf_token": csrf(again), "comment": "More"})
    assert twice.status_code == 409 and score_of(app, ref) == (4, "Quick and friendly")


def test_the_comment_can_go_with_the_rating(app: Flask, api: ApiClient) -> None:
    ref = resolved_ticket(app, api)
    client = app.test_client()
    html = client.get(links(app, ref)[2]).get_data(as_text=True)
    client.post(links(app, ref)[2], data={"csrf_token": csrf(html), "score": "2", "comment": "Took a week"})
    assert score_of(app, ref) == (2, "Took a week")


def test_a_tampered_link_is_refused_readably(app: Flask, api: ApiClient) -> None:
    ref = resolved_ticket(app, api)
    other = resolved_ticket(app, api, "bo@example.com")
    good = links(app, ref)[5]
    _, token = good.rsplit("/", 1)
    parts = token.split(".")
    client = app.test_client()
    later = f"{parts[0]}.5.{int(parts[2]) + 999}.{parts[3]}"  # a longer life than it was signed for
    for bad in (token.replace(f"{ref}.5.", f"{ref}.1."), token.replace(ref, other), later,
                token[:-2] + "xx", "nonsense", "a.b.c.d", f"{ref}.9.1.x", "." * 300):
        answer = client.get(f"/rate/{bad}")
        assert answer.status_code == 404, bad
        assert "This rating link is not valid" in answer.get_data(as_text=True)
        posted = client.post(f"/rate/{bad}", data={"score": "1"})
        assert posted.status_code in (400, 404), bad  # CSRF or the link: never a 500
    assert score_of(app, ref) == (None, None) and score_of(app, other) == (None, None)


def test_an_expired_link_is_refused_readably(app: Flask, api: ApiClient) -> None:
    from hub.tracker.survey_links import make_token

    ref = resolved_ticket(app, api)
    runtime = app.extensions["hub"]
    with runtime.db.transaction() as session:
        old = make_token(session, ref, 5, now=runtime.now() - timedelta(days=8))
        fresh = make_token(session, ref, 5, now=runtime.now() - timedelta(days=6))
    answer = app.test_client().get(f"/rate/{old}")
    assert answer.status_code == 410 and "This rating link has expired" in answer.get_data(as_text=True)
    assert app.test_client().get(f"/rate/{fresh}").status_code == 200


def test_a_reopened_ticket_cannot_be_rated_by_link(app: Flask, api: ApiClient) -> None:
    ref = resolved_ticket(app, api)
    url = links(app, ref)[3]
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"}).status_code == 200
    html = app.test_client().get(url).get_data(as_text=True)
    assert "The survey opens once the ticket is resolved." in html


def test_the_links_need_a_secret(app: Flask, api: ApiClient) -> None:
    from hub.tracker.survey_links import make_token

    ref = resolved_ticket(app, api)
    runtime = app.extensions["hub"]
    with runtime.db.transaction() as session:
        first = make_token(session, ref, 3)
    runtime.settings["SECRET_KEY"] = "another-secret"
    try:
        assert app.test_client().get(f"/rate/{first}").status_code == 404  # signed under the old secret
    finally:
        runtime.settings["SECRET_KEY"] = "test-secret-key"


def test_the_resolution_mail_carries_the_links() -> None:
    from plugins.notify.mails import resolution

    class Ticket:
        ref, title, language, requester_name = "INC-000001", "Cold", None, "Ana"

    subject, body = resolution(Ticket(), "", "http://hub.test/s/x",  # type: ignore[arg-type]
                               [(n, f"http://hub.test/rate/t{n}") for n in range(1, 6)])
    assert "Choose 1 (not at all) to 5 (very)" in body
    assert all(f"  {n}: http://hub.test/rate/t{n}" in body for n in range(1, 6))
    assert "http://hub.test/s/x" in body and subject == "Resolved: Cold"
