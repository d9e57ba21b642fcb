"""Issue 20's "done when", each journey one browser session on a hub started as the README says.

``itsm-hub run`` on a fresh machine (SQLite, an embedded Redis, every built-in plugin through
its entry point, as a fresh install enables them), signed into with the admin password it
prints once. Every step of a journey is a UI control: the only things done otherwise are what
an operator does outside the agents' pages (an API token from the CLI, and the mailbox the hub
answers from, through the admin API).

1. An incident: an agent logs a phone complaint with a photo, raises its priority in the edit
   form, answers with a canned reply, sees the SLA clock and resolves it; the requester opens
   the status link from the hub's mail and sees the photo and the answer.
2. A change: created, planned (window, risk), submitted, approved by a second agent (the CAB
   member signs in in the same browser), scheduled, implemented, reviewed and closed.

At desktop and phone widths; screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.browser import WIDTHS, open_tab, screenshot_dir
from tests.support.fresh_hub import *  # noqa: F403 - the fresh_hub fixture
from tests.support.fresh_hub import FreshHub, wait_ms
from tests.support.mail_fixtures import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"


def photo_png(width: int = 160, height: int = 120) -> bytes:
    """A real photo's stand-in: a PNG with a gradient, big enough to see in a screenshot."""
    rows = b"".join(b"\x00" + bytes(value for x in range(width) for value in (40 + x, 90 + y, 160))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(params=list(WIDTHS))
def tab(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    """One browser window (one session, as one person's browser) at a desktop or a phone width."""
    with open_tab(chromium, request.param, prefix="journey", shots=screenshot_dir(tmp_path), timeout_ms=wait_ms(),
                  accept_dialogs=True) as page:
        yield page


def says(tab: Any, text: str) -> None:
    """The page's message says ``text`` (after a reload, or once a form saved in place)."""
    from playwright.sync_api import expect

    expect(tab.locator(".flashes")).to_contain_text(text, timeout=wait_ms())


def sign_in(tab: Any, hub: FreshHub, username: str, password: str = PASSWORD) -> None:
    tab.goto(hub.url + "/login")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/tickets$"))


def sign_out(tab: Any) -> None:
    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url(re.compile(r".*/login.*"))


def add_agent(tab: Any, username: str, display_name: str) -> None:
    """Admin -> Users -> Add a user."""
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    tab.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Users").click()
    form = tab.locator("form", has=tab.get_by_role("button", name="Add user"))
    form.get_by_label("Username").fill(username)
    form.get_by_label("Display name").fill(display_name)
    form.get_by_label("Email").fill(f"{username}@hub.test")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Role").select_option("agent")
    form.get_by_role("button", name="Add user").click()
    says(tab, f"Created {username}.")


def mark_page(tab: Any) -> None:
    """Forms that save in place keep this mark; a full reload loses it."""
    tab.evaluate("window.__marker = 1")


def still_marked(tab: Any) -> bool:
    return bool(tab.evaluate("window.__marker === 1"))


def move(tab: Any, ref: str, to: str, **fields: str) -> None:
    """The Actions card: *Move to*, with a resolution or a note when given."""
    form = tab.locator("#transition-form")
    form.get_by_label("Move to").select_option(to)
    for label, value in fields.items():
        form.get_by_label(label.capitalize()).fill(value)
    form.get_by_role("button", name="Move").click()
    says(tab, f"{ref} is now {to.replace('_', ' ')}.")


@pytest.mark.imap
def test_an_incident_from_the_phone_call_to_the_requesters_status_page(
        tab: Any, fresh_hub: FreshHub, mailbox: Any, smtp_sink: Any, tmp_path: Path) -> None:
    # The operator's part: the mailbox the hub answers requesters from (a fresh install has none).
    made = requests.post(f"{fresh_hub.url}/api/v1/admin/instances", timeout=30, headers={
        "Authorization": f"Bearer {fresh_hub.admin_token()}"}, json={
        "connector": "email", "slug": "care", "enabled": True, "config": {
            "host": mailbox.host, "port": mailbox.port, "security": "starttls", "ca_file": str(mailbox.cafile),
            "username": mailbox.user, "password": mailbox.password, "smtp_host": smtp_sink.host,
            "smtp_port": smtp_sink.port, "smtp_security": "plain", "from_address": "care@hub.test",
            "from_name": "Customer Care"}})
    assert made.status_code == 201, made.text

    # The admin, with the password `itsm-hub run` printed, gives the agent an account.
    sign_in(tab, fresh_hub, "admin", fresh_hub.admin_password)
    add_agent(tab, "dana", "Dana Desk")
    sign_out(tab)

    # The agent keeps an answer she gives often.
    sign_in(tab, fresh_hub, "dana")
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Canned replies").click()
    tab.get_by_label("Title").fill("Fixed on site")
    tab.get_by_label("Text (required)").fill(
        "Hello {requester_name}, our technician has fixed the air conditioning in room 214 ({ticket_ref}).")
    tab.get_by_label("Sent as").select_option("public")
    tab.get_by_role("button", name="Add reply").click()
    says(tab, "Saved the reply 'Fixed on site'.")

    # A guest phones: the agent logs the call with the photo the guest sent.
    photo = tmp_path / "rattling-unit.png"
    photo.write_bytes(photo_png())
    tab.locator("h1").click()
    tab.keyboard.press("l")
    tab.wait_for_url(re.compile(r".*/tickets/log-call$"))
    tab.wait_for_function("() => document.activeElement && document.activeElement.id === 'requester_name'")
    tab.keyboard.type("Gina Guest")  # the caller's name first, where the cursor already is
    tab.get_by_label("Phone").fill("+49 30 1234-567")
    tab.get_by_label("Email").fill("gina@example.org")
    tab.get_by_label("Title").fill("Air conditioning rattles in room 214")
    tab.get_by_label("Description").fill("The unit rattles all night; the guest could not sleep.")
    tab.get_by_label("Attach files").set_input_files(str(photo))
    tab.get_by_role("button", name="Log the call").click()
    tab.wait_for_url(re.compile(r".*/tickets/INC-\d{6}$"))
    ref = tab.url.rsplit("/", 1)[-1]
    says(tab, f"Created {ref} with 1 file.")
    tab.wait_for_function("img => img.complete && img.naturalWidth === 160",
                          arg=tab.locator('img[alt="rattling-unit.png"]').element_handle())
    tab.shot("incident-logged")
    mark_page(tab)

    # A guest who cannot sleep: the agent raises the priority in the edit form.
    tab.get_by_text("Edit fields").click()
    tab.locator("#edit-priority").select_option("2")
    tab.locator("#edit-form").get_by_role("button", name="Save changes").click()
    says(tab, f"Saved {ref}: Priority.")
    assert "P2" in tab.locator(".summary").inner_text()

    # She answers with the canned reply: filled in for this guest, sent as public.
    tab.locator("#canned-id").select_option(label="Fixed on site (mine)")  # her own, not a shared one
    from playwright.sync_api import expect

    answer = f"Hello Gina Guest, our technician has fixed the air conditioning in room 214 ({ref})."
    expect(tab.locator("#comment-body")).to_have_value(answer, timeout=wait_ms())
    assert tab.locator("#vis-public").is_checked()
    tab.get_by_role("button", name="Add comment").click()
    says(tab, "Public comment added: the requester sees it.")
    assert tab.locator(".timeline li[data-type=comment]", has_text=answer).count() == 1

    # The SLA clock: the answer met the response target; the resolution clock runs.
    clock = tab.locator("#sla")
    expect(clock).to_be_visible(timeout=wait_ms())
    assert clock.locator("dd[data-target=response] [data-sla]").get_attribute("data-sla") == "met"
    assert clock.locator("dd[data-target=resolution] [data-sla]").get_attribute("data-sla") == "running"
    assert re.search(r"Resolve in \d", clock.inner_text()), clock.inner_text()
    tab.shot("incident-answered")

    move(tab, ref, "resolved", resolution="Fan bearing replaced; the unit is quiet.")
    assert clock.locator("dd[data-target=resolution] [data-sla]").get_attribute("data-sla") == "met"
    assert still_marked(tab), "an action on the ticket page reloaded the whole page"
    tab.shot("incident-resolved")

    # The guest's mail: the acknowledgement, the answer, the resolution; each with the status link.
    mails = [m.message for m in smtp_sink.wait_for(3, timeout=120) if "gina@example.org" in m.rcpt_tos]
    assert len(mails) == 3 and all(ref in m["Subject"] for m in mails), [m["Subject"] for m in mails]
    assert answer in mails[1].get_content()
    link = re.search(rf"{re.escape(fresh_hub.url)}/s/[\w-]+", mails[-1].get_content())
    assert link, mails[-1].get_content()

    # She opens it in her own browser: no session of the hub's, only the link.
    guest = tab.context.browser.new_context(viewport=tab.viewport_size)
    try:
        status = guest.new_page()
        status.goto(link.group(0))
        expect(status.locator("h1")).to_contain_text(ref, timeout=wait_ms())
        assert answer in status.locator(".timeline").inner_text()
        assert "Fan bearing replaced" in status.locator("main").inner_text()
        status.wait_for_function("img => img.complete && img.naturalWidth === 160",
                                 arg=status.locator('img[alt="rattling-unit.png"]').element_handle())
        path = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / f"journey-incident-status-page-{tab.size}.png"
        status.screenshot(path=str(path), full_page=True)
        assert status.evaluate("document.documentElement.scrollWidth") <= tab.viewport_size["width"]
    finally:
        guest.close()


def test_a_change_from_draft_to_closed_with_a_second_agents_approval(tab: Any, fresh_hub: FreshHub) -> None:
    sign_in(tab, fresh_hub, "admin", fresh_hub.admin_password)
    add_agent(tab, "dana", "Dana Desk")
    add_agent(tab, "chris", "Chris Board")  # sits on the change advisory board
    sign_out(tab)

    # Dana drafts the change.
    sign_in(tab, fresh_hub, "dana")
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    tab.locator("h1").click()
    tab.keyboard.press("c")
    tab.wait_for_url(re.compile(r".*/tickets/changes/new$"))
    tab.get_by_label("Title").fill("Replace the chiller on line 2")
    tab.get_by_label("Description").fill("The old chiller loses pressure; the new one is on site.")
    tab.get_by_role("button", name="Save draft").click()
    tab.wait_for_url(re.compile(r".*/tickets/CHG-\d{6}$"))
    ref = tab.url.rsplit("/", 1)[-1]
    says(tab, "as a draft")
    mark_page(tab)

    # She plans it: the window and the risk, in the edit form.
    tab.get_by_text("Edit fields").click()
    form = tab.locator("#edit-form")
    form.get_by_label("Risk").select_option("high")
    form.get_by_label("Start", exact=True).fill("2027-01-10T08:00")
    form.get_by_label("End", exact=True).fill("2027-01-10T12:00")
    form.get_by_role("button", name="Save changes").click()
    says(tab, f"Saved {ref}:")
    details = tab.locator("#details").inner_text()
    assert "high" in details and "2027-01-10" in details, details

    move(tab, ref, "submitted")
    move(tab, ref, "assessment")
    assert still_marked(tab)
    tab.shot("change-planned")
    sign_out(tab)

    # Chris, of the change advisory board, approves it in the same browser.
    sign_in(tab, fresh_hub, "chris")
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="Changes").click()
    tab.get_by_role("link", name=ref).click()
    tab.wait_for_url(re.compile(rf".*/tickets/{ref}$"))
    mark_page(tab)
    approval = tab.locator("#approval-form")
    approval.get_by_label("Comment").fill("CAB: approved for the January window.")
    approval.get_by_role("button", name="Approve").click()
    says(tab, f"{ref} approved.")
    assert "approved by chris" in tab.locator("main").inner_text()  # the approver, recorded with the decision
    assert still_marked(tab)
    tab.shot("change-approved")
    sign_out(tab)

    # Dana carries it out and closes it.
    sign_in(tab, fresh_hub, "dana")
    tab.goto(f"{fresh_hub.url}/tickets/{ref}")
    mark_page(tab)
    for to in ("scheduled", "implementing", "review"):
        move(tab, ref, to)
    move(tab, ref, "closed", note="Chiller running at 6 °C; old unit removed.")
    assert "Closed is a final state." in tab.locator("main").inner_text()
    assert still_marked(tab)
    timeline = tab.locator(".timeline").inner_text()
    steps = ["Status: draft → submitted", "Status: submitted → assessment", "Status: assessment → approved",
             "Change approved", "Status: approved → scheduled", "Status: scheduled → implementing",
             "Status: implementing → review", "Status: review → closed", "Chiller running at 6 °C"]
    positions = [timeline.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), (steps, timeline)
    tab.shot("change-closed")
