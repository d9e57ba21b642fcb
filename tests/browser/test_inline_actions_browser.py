"""The ticket page's actions without a full reload, in a real browser at desktop and phone widths.

A comment, a canned reply, an assignment, an upload and a move each post with the page's
script and swap in the answer's <main>: ``window.__marker``, set before the first action,
survives them all, while the timeline, the SLA clock and every form's version follow. And
without scripts the same forms post and redirect as they always did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser.test_create_browser import PHOTO
from tests.browser.test_ui_browser import PASSWORD, WAIT_MS
from tests.browser.test_workspace_browser import SIZES, open_tab, screenshot, sign_in
from tests.conftest import ApiClient, make_token
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla")]
    return app_config


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber",
                    timezone="Europe/Berlin")
    with live_server(app) as url:
        yield url


@pytest.fixture
def admin(app: Flask) -> ApiClient:
    return ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))


def still_this_page(tab: Any) -> bool:
    return bool(tab.evaluate("window.__marker === 1"))


def focused_flash(tab: Any) -> str:
    """The text of the message the swap moved focus to (it must be the focused element)."""
    return str(tab.evaluate("""() => {
        const active = document.activeElement;
        return active && active.classList.contains('flashes') ? active.innerText : 'focus is on ' + (active &&
            (active.id || active.tagName));
    }"""))


def send(tab: Any, button: Any, wait_for: str) -> str:
    """Press a form's button and wait until the answer's message has focus; returns the message."""
    button.click()
    tab.wait_for_function("text => document.activeElement && document.activeElement.classList.contains('flashes')"
                          " && document.activeElement.innerText.includes(text)", arg=wait_for)
    return focused_flash(tab)


@pytest.mark.parametrize("size", list(SIZES))
def test_comments_uploads_assignments_and_moves_never_reload_the_page(
        chromium: Any, admin: ApiClient, hub_url: str, tmp_path: Path, size: str) -> None:
    ref = admin.post("/api/v1/incidents", json={"title": "Heating off in room 12", "impact": "high",
                                                "urgency": "medium", "requester": {
                                                    "name": "Ana Ruiz", "email": "ana@example.org"}}).json["ref"]
    made = admin.post("/api/v1/canned-replies", json={"title": "On our way", "shared": True,
                                                      "body": "Hello {requester_name}, we are on the way."})
    assert made.status_code == 201, made.json
    photo = tmp_path / "radiator.png"
    photo.write_bytes(PHOTO)
    context, tab, errors = open_tab(chromium, SIZES[size])
    try:
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets/{ref}")
        assert tab.locator('#sla [data-sla]').first.get_attribute("data-sla") == "running"
        tab.evaluate("window.__marker = 1")
        history = tab.evaluate("history.length")

        # A public answer: the timeline and the response clock change, the page stays.
        tab.locator("#comment-body").fill("We are looking at the boiler.")
        tab.locator("#vis-public").check()
        message = send(tab, tab.get_by_role("button", name="Add comment"), "Public comment added")
        assert "the requester sees it" in message
        assert still_this_page(tab), "the comment reloaded the page"
        assert tab.locator(".timeline li[data-type=comment]", has_text="We are looking at the boiler.").count() == 1
        assert tab.locator('#sla dd[data-target=response] [data-sla]').get_attribute("data-sla") == "met"
        assert tab.locator("#comment-body").input_value() == ""  # a fresh form for the next one
        assert tab.evaluate("location.pathname") == f"/tickets/{ref}"  # the redirect's URL, not the form's POST
        assert tab.evaluate("history.length") == history  # no history entry per action
        screenshot(tab, tmp_path, f"inline-comment-{size}")

        # The canned-reply picker is part of the new <main>: it still fills the form in place.
        tab.locator("#canned-id").select_option(label="On our way")
        from playwright.sync_api import expect

        expect(tab.locator("#comment-body")).to_have_value("Hello Ana Ruiz, we are on the way.", timeout=WAIT_MS)
        assert still_this_page(tab)

        # Two sends at once (a double click, Enter pressed twice) make one comment.
        tab.evaluate("() => { const form = document.getElementById('comment'); form.requestSubmit();"
                     " form.requestSubmit(); }")
        tab.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('flashes')")
        comments = admin.get(f"/api/v1/incidents/{ref}/comments").json
        assert [c["body"] for c in comments].count("Hello Ana Ruiz, we are on the way.") == 1, comments
        assert admin.get("/api/v1/canned-replies").json[0]["uses"] == 1

        # A refused comment (only spaces pass the browser's own check) keeps the page and says why.
        tab.locator("#comment-body").fill("   ")
        message = send(tab, tab.get_by_role("button", name="Add comment"), "needs some text")
        assert tab.locator("#comment-body").get_attribute("aria-invalid") == "true"
        assert still_this_page(tab)

        # "Assign to me": the pressed button's own name and value go with the form.
        message = send(tab, tab.get_by_role("button", name="Assign to me"), "Assigned")
        assert f"Assigned {ref} to maria." in message
        assert "Maria Weber" in tab.locator("#details").inner_text()  # the page names people; the form takes logins

        # Files: a multipart upload through the same path.
        tab.get_by_text("Add files").click()
        tab.get_by_label("Files", exact=True).set_input_files(str(photo))
        tab.locator("#upload-public").check()
        message = send(tab, tab.get_by_role("button", name="Upload"), "Added 1 file")
        assert "the requester sees them" in message
        thumb = tab.locator('img[alt="radiator.png"]')
        tab.wait_for_function("img => img.complete && img.naturalWidth === 1", arg=thumb.element_handle())
        assert still_this_page(tab)

        # Someone else moves the ticket meanwhile: this page's version is old, the move is refused readably.
        assert admin.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"}).status_code == 200
        tab.get_by_label("Move to").select_option("on_hold")
        message = send(tab, tab.get_by_role("button", name="Move"), "changed")
        assert "in progress" in tab.locator(".summary").inner_text().replace("_", " ")
        assert admin.get(f"/api/v1/incidents/{ref}").json["status"] == "in_progress"

        # The swapped page carries the new version: resolving now works, and the resolution clock stops.
        tab.get_by_label("Move to").select_option("resolved")
        tab.get_by_label("Resolution").fill("Boiler restarted; 21 °C again.")
        message = send(tab, tab.get_by_role("button", name="Move"), "is now resolved")
        assert tab.locator('#sla dd[data-target=resolution] [data-sla]').get_attribute("data-sla") == "met"
        assert "Boiler restarted" in tab.locator(".timeline").inner_text()
        assert still_this_page(tab), "a move reloaded the page"
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size][0], f"the ticket page scrolls sideways: {width}px"
        screenshot(tab, tmp_path, f"inline-resolved-{size}")
        assert not errors, f"the browser console reported errors: {errors}"
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_comment_sent_after_the_session_ended_keeps_its_text(chromium: Any, admin: ApiClient, hub_url: str,
                                                               tmp_path: Path, size: str) -> None:
    """The hub answers with its "form expired" page: the ticket page stays, with the text and why."""
    ref = admin.post("/api/v1/incidents", json={"title": "Printer jammed"}).json["ref"]
    context, tab, errors = open_tab(chromium, SIZES[size])
    try:
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets/{ref}")
        tab.evaluate("window.__marker = 1")
        typed = "A long answer that took ten minutes to write."
        tab.locator("#comment-body").fill(typed)
        context.clear_cookies()  # the session ended meanwhile (signed out elsewhere, or expired)
        tab.get_by_role("button", name="Add comment").click()
        refusal = tab.locator("#comment-title ~ .inline-refusal")
        tab.wait_for_function("() => document.activeElement && document.activeElement.classList.contains("
                              "'inline-refusal')")
        assert "Not saved" in refusal.inner_text() and "The form expired" in refusal.inner_text()
        assert tab.locator("#comment-body").input_value() == typed
        assert tab.get_by_role("button", name="Add comment").is_enabled()
        assert still_this_page(tab)
        screenshot(tab, tmp_path, f"inline-refused-{size}")
        assert admin.get(f"/api/v1/incidents/{ref}/comments").json == []
        assert not errors, errors
    finally:
        context.close()


def test_without_scripts_comments_and_uploads_still_post(chromium: Any, admin: ApiClient, hub_url: str,
                                                         tmp_path: Path) -> None:
    ref = admin.post("/api/v1/incidents", json={"title": "Lift stuck"}).json["ref"]
    photo = tmp_path / "lift.png"
    photo.write_bytes(PHOTO)
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    try:
        tab = context.new_page()
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets/{ref}")
        tab.locator("#comment-body").fill("Technician called.")
        tab.get_by_role("button", name="Add comment").click()
        tab.wait_for_url(re.compile(rf".*/tickets/{ref}#comment-\d+$"))
        assert "Internal note added." in tab.locator(".flashes").inner_text()
        assert tab.locator(".timeline", has_text="Technician called.").count() == 1

        tab.locator("#comment-body").fill("   ")  # refused: the page comes back from the POST, text kept
        tab.get_by_role("button", name="Add comment").click()
        tab.wait_for_url(re.compile(rf".*/tickets/{ref}/comment$"))
        assert "A comment needs some text" in tab.locator(".flashes").inner_text()

        tab.get_by_text("Add files").click()
        tab.get_by_label("Files", exact=True).set_input_files(str(photo))
        tab.get_by_role("button", name="Upload").click()
        tab.wait_for_url(re.compile(rf".*/tickets/{ref}#files$"))
        assert "Added 1 file" in tab.locator(".flashes").inner_text()
        tab.get_by_role("button", name="Assign to me").click()
        tab.wait_for_url(re.compile(rf".*/tickets/{ref}#timeline$"))
        assert admin.get(f"/api/v1/incidents/{ref}").json["assignee"] == "maria"
    finally:
        context.close()
