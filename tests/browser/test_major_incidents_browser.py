"""Major incidents in Chromium at a desktop and a phone width (issue 22 point 3, its done-when):
fifty complaints linked under one major incident get one public update each.

An agent promotes the outage's incident to major, ticks the fifty complaints on the ticket list
and attaches them with the bulk action "Attach to major incident …", writes one public update on
the major, and each of the fifty requesters receives exactly one mail with it (a real SMTP sink,
through the email connector and the notify plugin), in their own language; an internal note stays
on the major. A child shows its banner; resolving the major resolves the fifty with its resolution.

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from hub.models import Ticket
from tests.connectors.email.conftest import add_mailbox, app_config  # noqa: F401 - fixtures
from tests.support.browser import PASSWORD, WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.fresh_hub import wait_ms
from tests.support.jobs import drain
from tests.support.live import live_server
from tests.support.mail_fixtures import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.imap]

COMPLAINTS = 50
UPDATE = "The mail server is back at 14:00; messages sent meanwhile are delivered by then."


def language_of(n: int) -> str | None:
    return "de" if n % 5 == 0 else "es" if n % 7 == 0 else None


def address(n: int) -> str:
    return f"complainant{n:02d}@example.com"


@pytest.fixture
def hub_url(app: Flask, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> Iterator[str]:  # noqa: F811
    from hub.auth.users import create_user

    add_mailbox(mailbox, smtp_sink)
    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber")
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def tab(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    with open_tab(chromium, request.param, prefix="major", shots=screenshot_dir(tmp_path),
                  for_docs=("children-desktop", "child-phone")) as page:
        yield page


def open_complaints(api: Any) -> tuple[str, list[str]]:
    major = api.post("/api/v1/incidents", json={"title": "Mail server down for the whole site", "impact": "high",
                                                "urgency": "high"}).json["ref"]
    refs = []
    for n in range(COMPLAINTS):
        body: dict[str, Any] = {"title": f"My mail does not arrive ({n})",
                                "requester": {"name": f"Person {n}", "email": address(n)}}
        if language_of(n):
            body["language"] = language_of(n)
        made = api.post("/api/v1/incidents", json=body)
        assert made.status_code == 201, made.json
        refs.append(made.json["ref"])
    return major, refs


def test_fifty_complaints_under_one_major_incident_get_one_public_update_each(
        app: Flask, api: Any, hub_url: str, smtp_sink: Any, tab: Any) -> None:
    major, complaints = open_complaints(api)
    drain(app)  # the fifty acknowledgements, out of the way
    before = len(smtp_sink.messages)
    sign_in(tab, hub_url, "maria")

    # Promote the outage's incident.
    tab.goto(f"{hub_url}/tickets/{major}")
    tab.get_by_label("Why").fill("Fifty people report it")
    tab.get_by_role("button", name="Promote to major incident").click()
    assert tab.locator(".flash.success").first.inner_text().strip() == f"{major} is a major incident."
    assert tab.locator("[data-major]").is_visible()
    tab.shot("promoted")

    # Tick the fifty complaints on the list (the priority-3 ones) and attach them in one go.
    tab.goto(f"{hub_url}/tickets?priority=3")
    assert tab.locator("tr[data-row]").count() == COMPLAINTS
    if tab.size == "desktop":
        tab.get_by_label("Select every ticket shown").check()
    else:  # the phone's list shows rows as cards, whose header checkbox the rows cover: tick each
        for ref in complaints:
            tab.get_by_label(f"Select {ref}").check()
    panel = tab.locator("details[data-bulk]")
    if not panel.evaluate("el => el.open"):
        panel.locator("summary").click()
    tab.get_by_label("Action").select_option("major")
    assert tab.get_by_label("Major incident").is_visible() and not tab.get_by_label("Main incident").is_visible()
    tab.get_by_label("Major incident").fill(major)
    tab.shot("selected")
    tab.get_by_role("button", name="Apply to selected").click()
    tab.wait_for_url(re.compile(rf".*/tickets/{major}#major$"))
    assert tab.locator(".flash.success").first.inner_text().strip() == \
        f"Attached {COMPLAINTS} incidents to {major}."
    assert tab.locator("#major-title").inner_text().strip() == f"Major incident: {COMPLAINTS} children"
    assert tab.locator("[data-status-count='new']").inner_text().strip() == f"new: {COMPLAINTS}"
    tab.shot("children")

    # One public update, and one internal note that must stay on the major.
    tab.locator("#comment-body").fill(UPDATE)
    tab.locator("label[for=vis-public]").click()
    tab.get_by_role("button", name="Add comment").click()
    # Saved in place (hub.js): the message comes without a reload.
    expect(tab.locator(".flashes")).to_contain_text(
        f"Public update added: the requesters of {COMPLAINTS} children are told too.", timeout=wait_ms())
    tab.locator("#comment-body").fill("Router in rack 4 replaced; watching it.")
    tab.locator("label[for=vis-internal]").click()
    tab.get_by_role("button", name="Add comment").click()
    expect(tab.locator(".flashes")).to_contain_text("Internal note added.")
    tab.shot("update")

    drain(app)
    mails = [received.message for received in smtp_sink.messages[before:]]
    told = Counter(message["To"] for message in mails if UPDATE in message.get_content())
    assert told == {address(n): 1 for n in range(COMPLAINTS)}, told
    assert not [m for m in mails if "rack 4" in m.get_content()], "an internal note left the major incident"
    by_address = {message["To"]: message for message in mails}
    german, spanish, english = by_address[address(5)], by_address[address(7)], by_address[address(1)]
    assert "hat zu" in german.get_content() and "wrote on" not in german.get_content()
    assert "wrote on" not in spanish.get_content() and "wrote on" in english.get_content()
    # Each mail names the requester's own ticket, as if the update had been written there.
    assert complaints[5] in german["Subject"] and complaints[1] in english["Subject"]

    # A child says what it is part of.
    tab.goto(f"{hub_url}/tickets/{complaints[1]}")
    banner = tab.locator(".major-banner")
    assert banner.is_visible() and f"Part of major incident {major}" in banner.inner_text()
    assert UPDATE in tab.locator(".timeline").inner_text()
    tab.shot("child")

    # Resolving the major resolves the fifty with its resolution.
    tab.goto(f"{hub_url}/tickets/{major}")
    tab.locator("#to").select_option("resolved")
    tab.locator("#resolution").fill("Router replaced; mail flows again.")
    tab.locator("#transition-form").get_by_role("button", name="Move").click()
    tab.wait_for_function("() => document.querySelector('.summary').innerText.includes('resolved')")
    assert tab.locator("[data-status-count='resolved']").inner_text().strip() == f"resolved: {COMPLAINTS}"
    tab.shot("resolved")
    with app.extensions["hub"].db.reading() as session:
        states = set(session.execute(select(Ticket.status, Ticket.resolution).where(Ticket.ref.in_(complaints))))
    assert states == {("resolved", "Router replaced; mail flows again.")}
