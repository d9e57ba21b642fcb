"""The one-click approval link: mailed to each board member when a change enters assessment;
signed, expiring and used once; opening it decides nothing, the confirmation's POST does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.models import OutboxMessage
from tests.hub.changes.conftest import Estate

LINK = re.compile(r"http://hub\.test(/approve/\S+)")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config.update(BASE_URL="http://hub.test", PLUGINS=[("email", "connectors.email")])
    return app_config


@pytest.fixture
def mailing(estate: Estate) -> Estate:
    """A mail relay the hub can send through (nothing is delivered in these tests: no worker runs)."""
    made = estate.api.post("/api/v1/admin/instances", json={
        "connector": "smtp", "slug": "relay", "enabled": True,
        "config": {"smtp_host": "127.0.0.1", "smtp_port": 2525, "smtp_security": "plain",
                   "from_address": "changes@hub.test", "from_name": "Changes"}})
    assert made.status_code == 201, made.json
    return estate


def mailed_links(app: Flask, ref: str) -> dict[str, str]:
    """Each recipient's approval link for the change, from the mails in the outbox."""
    with app.extensions["hub"].db.Session() as session:
        query = select(OutboxMessage).where(OutboxMessage.action == "mail").order_by(OutboxMessage.id)
        mails = [m.payload for m in session.scalars(query)
                 if m.payload["subject"].startswith(f"Approval needed: {ref}")]
    found = {}
    for mail in mails:
        match = LINK.search(mail["body"])
        assert match, mail["body"]
        found[mail["to"][0]] = match.group(1)
    return found


def status_of(estate: Estate, ref: str) -> str:
    return str(estate.api.get(f"/api/v1/changes/{ref}").json["status"])


def test_each_board_member_but_the_author_gets_a_link(app: Flask, mailing: Estate) -> None:
    ref = mailing.change("bob")
    mailing.to_assessment(ref)
    links = mailed_links(app, ref)
    assert set(links) == {"carol@hub.test", "dave@hub.test"}  # bob asked for it: he is not asked
    assert links["carol@hub.test"] != links["dave@hub.test"]


def test_the_link_confirms_then_decides_once(app: Flask, mailing: Estate) -> None:
    ref = mailing.change("bob")
    mailing.to_assessment(ref)
    links = mailed_links(app, ref)
    browser = app.test_client()  # nobody signed in: the link is the credential
    page = browser.get(links["carol@hub.test"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"Decide on {ref}" in html and "Your decision, carol" in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert browser.get(links["carol@hub.test"]).status_code == 200  # a GET (a mail scanner's too) decides nothing
    assert status_of(mailing, ref) == "assessment"
    assert mailing.api.get(f"/api/v1/changes/{ref}/approvals").json == []
    done = browser.post(links["carol@hub.test"], data={"decision": "approved", "comment": "Fine"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "1 more approval needed" in done.get_data(as_text=True)
    approvals = mailing.api.get(f"/api/v1/changes/{ref}/approvals").json
    assert [(a["approver"], a["channel"]) for a in approvals] == [("carol", "mail")]
    # Used: neither opening nor posting it again does anything.
    again = browser.get(links["carol@hub.test"])
    assert again.status_code == 410 and "each link decides once" in again.get_data(as_text=True)
    assert browser.post(links["carol@hub.test"], data={"decision": "approved"}).status_code == 410
    assert len(mailing.api.get(f"/api/v1/changes/{ref}/approvals").json) == 1
    # Dave's link meets the quorum.
    assert browser.post(links["dave@hub.test"], data={"decision": "approved"}).status_code == 200
    assert status_of(mailing, ref) == "approved"


def test_a_rejection_through_the_link_asks_the_reason(app: Flask, mailing: Estate) -> None:
    ref = mailing.change("bob")
    mailing.to_assessment(ref)
    link = mailed_links(app, ref)["dave@hub.test"]
    browser = app.test_client()
    bare = browser.post(link, data={"decision": "rejected"})
    assert bare.status_code == 422 and "Say why the change is rejected" in bare.get_data(as_text=True)
    assert status_of(mailing, ref) == "assessment"  # the refused try did not spend the link
    done = browser.post(link, data={"decision": "rejected", "comment": "No rollback plan"})
    assert done.status_code == 200 and status_of(mailing, ref) == "rejected"


def test_a_forged_or_altered_token_is_refused(app: Flask, mailing: Estate) -> None:
    ref = mailing.change("bob")
    mailing.to_assessment(ref)
    link = mailed_links(app, ref)["carol@hub.test"]
    browser = app.test_client()
    for bad in ("/approve/not-a-token", link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB"),
                "/approve/" + "x" * 2000):
        answer = browser.get(bad)
        assert answer.status_code == 404, bad
        assert browser.post(bad, data={"decision": "approved"}).status_code == 404
    assert status_of(mailing, ref) == "assessment"


def test_an_expired_link_is_refused(app: Flask, runtime: Any, mailing: Estate) -> None:
    ref = mailing.change("bob")
    mailing.to_assessment(ref)
    link = mailed_links(app, ref)["carol@hub.test"]
    later = datetime.now(UTC) + timedelta(hours=73)  # HUB_APPROVAL_LINK_HOURS is 72
    runtime.clock = lambda: later
    browser = app.test_client()
    expired = browser.get(link)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert browser.post(link, data={"decision": "approved"}).status_code == 410
    assert mailing.api.get(f"/api/v1/changes/{ref}/approvals").json == []


def test_a_link_of_a_decided_change_or_an_earlier_round_is_void(app: Flask, mailing: Estate) -> None:
    ref = mailing.change("bob")
    mailing.to_assessment(ref)
    links = mailed_links(app, ref)
    assert mailing.decide("dave", ref, "rejected", comment="Rework the plan").status_code == 201
    browser = app.test_client()
    closed = browser.get(links["carol@hub.test"])
    assert closed.status_code == 409 and "no longer awaits" in closed.get_data(as_text=True)
    mailing.people["bob"].post(f"/api/v1/changes/{ref}/transitions", json={"to": "draft"})
    mailing.to_assessment(ref)
    assert browser.get(links["carol@hub.test"]).status_code == 409  # round 1's link, round 2 now
    fresh = mailed_links(app, ref)  # round 2 mailed new links
    assert browser.get(fresh["carol@hub.test"]).status_code == 200
