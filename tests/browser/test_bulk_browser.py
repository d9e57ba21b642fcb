"""Bulk actions and merging in a real browser, at desktop (1280x800) and phone (390x844) widths:
tick two rows (one with the key x) and assign them, merge one incident into another, then the
ticket pages and the duplicate's status page.

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir); UPDATE_SCREENSHOTS=1 writes the
docs' copies (docs/screenshots/bulk-*.png) too.
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
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber")
        create_user(session=session, username="tom", role="agent", password=PASSWORD)
    with live_server(app) as url:
        yield url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


def open_tab(chromium: Any, size: tuple[int, int]) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, tab, errors


def shoot(tab: Any, shots: Path, name: str, size: str) -> None:
    path = shots / f"bulk-{name}-{size}.png"
    tab.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"bulk-{name}-{size}.png"))
    wide = tab.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{name} at {size} scrolls sideways by {wide}px"


def flashes(tab: Any) -> list[str]:
    return [text.strip() for text in tab.locator(".flash").all_inner_texts()]


@pytest.mark.parametrize("size", list(SIZES))
def test_tick_two_rows_assign_them_then_merge_one_incident_into_another(chromium: Any, app: Flask, hub_url: str,
                                                                         shots: Path, size: str) -> None:
    api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    main, dup, third, fourth = (api.post("/api/v1/incidents", json={
        "title": title, "requester": {"name": name, "email": f"{name.lower()}@example.org"}}).json["ref"]
        for title, name in (("Boiler 2 is down in building C", "Mia"), ("No hot water in room 12", "Omar"),
                            ("Radiator cold in room 14", "Lea"), ("Shower cold in room 16", "Sam")))
    context, tab, errors = open_tab(chromium, SIZES[size])
    tab.on("dialog", lambda dialog: dialog.accept())
    tab.goto(hub_url + "/login")
    tab.get_by_label("Username").fill("maria")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/tickets$"))

    # The newest first: the fourth, then the third. j focuses the first row, x ticks it.
    tab.locator("body").press("j")
    tab.keyboard.press("x")
    assert tab.get_by_label(f"Select {fourth}").is_checked()
    tab.get_by_label(f"Select {third}").check()
    count = tab.locator("[data-pick-count]")
    count.wait_for(state="visible")
    assert count.inner_text() == "2 selected"
    panel = tab.locator("details[data-bulk]")
    if size == "phone":
        assert not panel.evaluate("el => el.open")  # folded on a phone until asked for
        panel.locator("summary").click()
    assert panel.evaluate("el => el.open")
    assert tab.get_by_label("Agent").is_visible() and not tab.get_by_label("Main incident").is_visible()
    tab.get_by_label("Agent").fill("tom")
    shoot(tab, shots, "selected", size)
    tab.get_by_role("button", name="Apply to selected").click()
    tab.wait_for_selector(".flash.success")
    assert flashes(tab) == [f"Assigned to tom: {fourth}, {third}."]
    shoot(tab, shots, "assigned", size)
    for ref in (fourth, third):
        assert api.get(f"/api/v1/incidents/{ref}").json["assignee"] == "tom"

    # Merge the duplicate into the main incident: only its input shows, and the browser asks first.
    tab.get_by_label(f"Select {dup}").check()
    if not panel.evaluate("el => el.open"):
        panel.locator("summary").click()
    tab.get_by_label("Action").select_option("merge")
    assert tab.get_by_label("Main incident").is_visible() and not tab.get_by_label("Agent").is_visible()
    tab.get_by_label("Main incident").fill(main)
    tab.get_by_role("button", name="Apply to selected").click()
    tab.wait_for_selector(".flash.success")
    assert flashes(tab) == [f"Merged into {main} and closed: {dup}."]
    shoot(tab, shots, "merged", size)

    # The duplicate's page names its main ticket; the main ticket lists its duplicate.
    tab.goto(f"{hub_url}/tickets/{dup}")
    assert tab.locator("[data-duplicate-of]").inner_text() == f"Duplicate of {main}"
    shoot(tab, shots, "duplicate-page", size)
    tab.locator("[data-duplicate-of] a").click()
    tab.wait_for_url(re.compile(rf".*/tickets/{main}$"))
    duplicates = tab.locator("#duplicates")
    duplicates.scroll_into_view_if_needed()
    assert dup in duplicates.inner_text() and "Omar" in duplicates.inner_text()
    shoot(tab, shots, "main-page", size)

    # The duplicate's requester: their own link, which now follows the main incident.
    api.post(f"/api/v1/incidents/{main}/transitions", json={"to": "in_progress"})
    with app.extensions["hub"].db.transaction() as session:
        from hub.tracker.status_links import status_token
        from hub.tracker.tickets import get_ticket

        token = status_token(session, get_ticket(session, dup))
    requester = context.browser.new_context(viewport={"width": SIZES[size][0], "height": SIZES[size][1]})
    status_tab = requester.new_page()
    status_tab.goto(f"{hub_url}/s/{token}")
    card = status_tab.locator("[data-followed]")
    assert card.get_attribute("data-followed") == main
    assert f"Merged into {main}." in card.inner_text()
    assert status_tab.locator("[data-followed-status]").inner_text() == "Being worked on."
    assert "Boiler 2" not in status_tab.content() and "Mia" not in status_tab.content()
    shoot(status_tab, shots, "status-page", size)
    requester.close()
    context.close()
    assert not errors, f"the browser console reported errors (CSP or script): {errors}"
