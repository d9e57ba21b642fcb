"""A canned reply in a real browser: picked with the keyboard, filled in for the ticket,
inserted at the cursor without leaving the page, sent as a public reply the requester sees
on the status page; at desktop and phone widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser.test_ui_browser import PASSWORD
from tests.browser.test_workspace_browser import SIZES, open_tab, screenshot, sign_in
from tests.conftest import ApiClient, make_token
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber")
    with live_server(app) as url:
        yield url


@pytest.mark.parametrize("size", list(SIZES))
def test_an_agent_answers_with_a_canned_reply(chromium: Any, app: Flask, hub_url: str, tmp_path: Path,
                                              size: str) -> None:
    admin = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    ref = admin.post("/api/v1/incidents", json={"title": "Room 214 too cold", "requester": {
        "name": "Ana Ruiz", "email": "ana@example.org"}}).json["ref"]
    made = admin.post("/api/v1/canned-replies", json={
        "title": "On our way", "shared": True,
        "body": "Hello {requester_name}, {agent_name} is on the way about {ticket_ref}. Follow it: {status_link}"})
    assert made.status_code == 201, made.json
    context, tab, errors = open_tab(chromium, SIZES[size])
    try:
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets/{ref}")
        body = tab.locator("#comment-body")
        body.fill("Note first. ")
        tab.locator("h1").click()  # leave the text field, so the page's keys work
        tab.keyboard.press("r")
        picker = tab.locator("#canned-id")
        assert picker.evaluate("element => element === document.activeElement")
        url_before = tab.url
        picker.select_option(label="On our way")
        from playwright.sync_api import expect

        expect(body).to_have_value(re.compile("on the way"))  # waits for the page's script
        text = body.input_value()
        assert tab.url == url_before  # inserted in place, no reload
        assert text.startswith(f"Note first. Hello Ana Ruiz, Maria Weber is on the way about {ref}. Follow it: ")
        status_link = re.search(r"(https?://\S+/s/\S+)", text)
        assert status_link, text
        assert tab.locator("#vis-public").is_checked()  # the reply's visibility
        screenshot(tab, tmp_path, f"ticket-canned-{size}")
        tab.get_by_role("button", name="Add comment").click()
        # Saved in place (hub.js): the message comes without a reload.
        expect(tab.locator(".flashes")).to_contain_text("Public comment added", timeout=10_000)
        assert tab.url.startswith(f"{hub_url}/tickets/{ref}")
        assert admin.get("/api/v1/canned-replies").json[0]["uses"] == 1
        # The requester reads the answer on their status page.
        status = context.new_page()
        # The link carries the hub's BASE_URL; the test's server listens elsewhere.
        status.goto(hub_url + re.sub(r"^https?://[^/]+", "", status_link.group(1)))
        assert "Maria Weber is on the way" in status.content()
        assert not errors, errors
    finally:
        context.close()
