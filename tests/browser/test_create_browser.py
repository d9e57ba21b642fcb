"""Making tickets in Chromium at a desktop and a phone width: a phoned-in complaint with a
photo, and a change saved as a draft, completed later and submitted.

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir); UPDATE_SCREENSHOTS=1 writes the
docs' copies (docs/screenshots/create-*.png).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.browser import PASSWORD, WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The screenshots the agents' guide shows (docs/agents.md).
FOR_DOCS = {"call-created", "status-page-files", "change-error"}
#: A 1x1 PNG: what a phone's photo is to the hub, a file of type image/png.
PHOTO = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                         "AAAABJRU5ErkJggg==")


@pytest.fixture
def hub_url(app: Flask, api: Any) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="desk", role="agent", password=PASSWORD, display_name="Dana Desk")
    api.post("/api/v1/departments", json={"slug": "front-desk", "name": "Front desk"})
    api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise", "department": "front-desk"})
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    with open_tab(chromium, request.param, prefix="create", shots=screenshot_dir(tmp_path),
                  for_docs=FOR_DOCS) as tab:
        yield tab


def test_a_phoned_in_complaint_with_a_photo(page: Any, hub_url: str, tmp_path: Path, app: Flask) -> None:
    photo = tmp_path / "rattle.png"
    photo.write_bytes(PHOTO)
    sign_in(page, hub_url, "desk")
    page.keyboard.press("l")  # the menu's key for "Log a call"
    page.wait_for_url(re.compile(r".*/tickets/log-call$"))
    # Typing starts at once: the name field has the focus. Chromium applies `autofocus` at a
    # rendering update, which on a busy machine can come after the load event: wait for it.
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'requester_name'")
    page.keyboard.type("Gina Guest")
    page.get_by_label("Phone").fill("+49 30 1234-567")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Department").select_option("front-desk")
    page.get_by_label("Category").select_option("noise")
    page.get_by_label("Description").fill("Room 214: the air conditioning rattles all night.")
    page.get_by_role("button", name="Log the call").click()
    # The browser's own checks first (required title, email format): nothing is sent.
    assert page.url.endswith("/tickets/log-call")
    page.get_by_label("Title").fill("Air conditioning rattles in room 214")
    page.get_by_label("Email").fill("gina@example.org")
    page.get_by_label("Attach files").set_input_files(str(photo))
    page.shot("call-filled")
    page.get_by_label("Description").press("Control+Enter")
    page.wait_for_url(re.compile(r".*/tickets/INC-\d{6}$"))
    ref = page.url.rsplit("/", 1)[-1]
    assert f"Created {ref} with 1 file." in page.locator(".flashes").inner_text()
    # The photo is on the agent's page, loaded (under the page's CSP) as a thumbnail.
    thumb = page.locator('img[alt="rattle.png"]')
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth === 1", arg=thumb.element_handle())
    page.shot("call-created")

    # An internal note with a PDF, through the ticket page's own upload form.
    manual = tmp_path / "fan-manual.pdf"
    manual.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_text("Add files").click()
    page.get_by_label("Files", exact=True).set_input_files(str(manual))
    page.get_by_label("Comment (optional)").fill("Manual for the fan unit.")
    page.get_by_role("button", name="Upload").click()
    from playwright.sync_api import expect

    expect(page.locator(".flashes")).to_contain_text("Added 1 file with a comment; internal: agents only.",
                                                     timeout=10_000)
    assert page.get_by_role("link", name="View fan-manual.pdf").count() == 1

    from sqlalchemy import select

    from hub.models import Ticket
    from hub.tracker.status_links import status_token
    from hub.tracker.tickets import get_ticket

    with app.extensions["hub"].db.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.ref == ref))
        assert ticket is not None and ticket.source == "phone" and ticket.requester_name == "Gina Guest"
        token = status_token(session, get_ticket(session, ref))
    # The requester sees the photo on the status page, and not the internal manual.
    page.goto(f"{hub_url}/s/{token}")
    status_thumb = page.locator('img[alt="rattle.png"]')
    page.wait_for_function("img => img.complete && img.naturalWidth === 1", arg=status_thumb.element_handle())
    assert "fan-manual.pdf" not in page.content()
    page.shot("status-page-files")


def test_a_change_drafted_then_completed_and_submitted(page: Any, hub_url: str) -> None:
    sign_in(page, hub_url, "desk")
    page.goto(hub_url + "/tickets/changes")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r".*/tickets/changes/new$"))
    page.get_by_label("Title").fill("Replace the chiller on line 2")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/tickets/CHG-\d{6}$"))
    ref = page.url.rsplit("/", 1)[-1]
    assert "as a draft" in page.locator(".flashes").inner_text()

    page.goto(hub_url + "/tickets/changes")
    page.get_by_role("link", name="My drafts").click()
    page.get_by_role("link", name=f"Complete {ref}").click()
    page.get_by_label("Risk").select_option("high")
    page.get_by_label("Planned start (UTC)").fill("2027-01-10T08:00")
    page.get_by_label("Planned end (UTC)").fill("2027-01-10T06:00")
    page.get_by_role("button", name="Submit for assessment").click()
    summary = page.locator(".error-summary").inner_text()
    assert "nothing was saved" in summary and "Must be after the planned start." in summary
    assert "Choose the files again" not in summary  # none were chosen
    page.shot("change-error")
    page.get_by_label("Planned end (UTC)").fill("2027-01-10T12:00")
    page.get_by_role("button", name="Submit for assessment").click()
    page.wait_for_url(re.compile(rf".*/tickets/{ref}$"))
    assert f"Submitted {ref} for assessment." in page.locator(".flashes").inner_text()
    assert "submitted" in page.locator("main").inner_text()
