"""The agent's workspace in a real browser: the SLA clock and the edit form on the ticket page,
at desktop (1280x800) and phone (390x844) widths, in the agent's own time zone.

Set UPDATE_SCREENSHOTS=1 to write the screenshots under docs/screenshots/ as well.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser.test_ui_browser import PASSWORD, SHOTS, WAIT_MS
from tests.conftest import ApiClient, make_token
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}




@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla")]
    return app_config


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber",
                    timezone="Europe/Berlin", language="de")
    with live_server(app) as url:
        yield url


def open_tab(chromium: Any, size: tuple[int, int]) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, tab, errors


def sign_in(tab: Any, url: str) -> None:
    tab.goto(url + "/login")
    tab.get_by_label("Username").fill("maria")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/tickets$"))


def screenshot(tab: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"ui-{name}.png"), full_page=True)
    return path


@pytest.mark.parametrize("size", list(SIZES))
def test_the_ticket_page_shows_the_sla_clock_and_saves_the_edit_form(chromium: Any, app: Flask, hub_url: str,
                                                                      tmp_path: Path, size: str) -> None:
    api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    ref = api.post("/api/v1/incidents", json={"title": "Heating off in room 12", "impact": "high",
                                              "urgency": "medium"}).json["ref"]
    context, tab, errors = open_tab(chromium, SIZES[size])
    try:
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets")
        row = tab.locator("tr[data-row]", has_text=ref)
        assert re.match(r"Answer in (59|1 h)", row.locator("td.sla").inner_text())  # P2: an answer within the hour
        tab.goto(f"{hub_url}/tickets/{ref}")
        clock = tab.locator("#sla")
        assert clock.is_visible() and "Answer in" in clock.inner_text() and "Resolve in" in clock.inner_text()
        due = clock.locator("time").first
        assert due.get_attribute("title").endswith("UTC") and re.search(r"CES?T$", due.inner_text())
        tab.get_by_text("Edit fields").click()
        form = tab.locator("#edit-form")
        assert form.is_visible()
        shown_width = tab.evaluate("document.documentElement.scrollWidth")
        assert shown_width <= SIZES[size][0], f"the ticket page scrolls sideways: {shown_width}px"
        screenshot(tab, tmp_path, f"ticket-sla-edit-{size}")

        tab.locator("#edit-title").fill("Heating off in rooms 12 and 14")
        tab.locator("#edit-priority").select_option("1")
        tab.locator("#edit-tags").fill("heating, winter")
        tab.evaluate("window.stillThisPage = true")
        form.get_by_role("button", name="Save changes").click()
        tab.locator(".flashes").wait_for()
        assert "Saved" in tab.locator(".flashes").inner_text()
        assert tab.evaluate("window.stillThisPage === true"), "the save reloaded the whole page"
        assert "Heating off in rooms 12 and 14" in tab.locator("h1").inner_text()
        assert api.get(f"/api/v1/incidents/{ref}").json["priority"] == 1

        # A colleague changes the title while Maria edits: her save shows both, and saves nothing.
        tab.get_by_text("Edit fields").click()
        api.patch(f"/api/v1/incidents/{ref}", json={"title": "Heating off on floor 1"})
        tab.locator("#edit-title").fill("Heating off in room 12 only")
        tab.locator("#edit-form").get_by_role("button", name="Save changes").click()
        conflict = tab.locator("#edit-conflict")
        conflict.wait_for()
        shown = conflict.inner_text()
        assert "Heating off on floor 1" in shown and "Heating off in room 12 only" in shown
        assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "Heating off on floor 1"
        screenshot(tab, tmp_path, f"ticket-edit-conflict-{size}")
        assert tab.evaluate("window.stillThisPage === true")
        assert not errors, f"the browser console reported errors: {errors}"
    finally:
        context.close()


def test_without_scripts_the_edit_form_still_saves(chromium: Any, app: Flask, hub_url: str) -> None:
    api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    ref = api.post("/api/v1/incidents", json={"title": "Lift stuck"}).json["ref"]
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    try:
        tab = context.new_page()
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets/{ref}")
        tab.get_by_text("Edit fields").click()
        tab.locator("#edit-title").fill("Lift stuck on floor 2")
        tab.locator("#edit-form").get_by_role("button", name="Save changes").click()
        tab.wait_for_url(re.compile(r".*#details$"))
        assert "Saved" in tab.locator(".flashes").inner_text()
        assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "Lift stuck on floor 2"
    finally:
        context.close()
