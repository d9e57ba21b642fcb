"""An agent's notifications in Chromium at a desktop (1280x800) and a phone (390x844) width: the
menu counts the unread, the shortcut key opens the list, a notification is marked read with
the keyboard, all are marked read, and the choices page is saved. Every page passes the layout
checks the main pages pass (no sideways scrolling).

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir); UPDATE_SCREENSHOTS=1 writes the
docs' copies (docs/screenshots/notifications-*.png, shown in docs/agents.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.browser import PASSWORD, WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The screenshots the agents' guide shows.
FOR_DOCS = {"list-desktop", "list-phone", "settings-phone"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("agent-notify", "plugins.agent_notify")]
    return app_config


@pytest.fixture
def hub_url(app: Flask, api: Any) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        for name in ("bob", "carol"):
            create_user(session=session, username=name, role="agent", password=PASSWORD,
                        display_name=name.capitalize(), email=f"{name}@hub.test")
    api.post("/api/v1/groups", json={"slug": "line-3", "name": "Line 3"})
    for name in ("bob", "carol"):
        api.put(f"/api/v1/groups/line-3/members/{name}")
    api.post("/api/v1/incidents", json={"title": "Filler on line 3 stopped: low pressure alarm", "group": "line-3"})
    ref = api.post("/api/v1/incidents", json={"title": "Capper torque drifts", "group": "line-3"}).json["ref"]
    api.patch(f"/api/v1/incidents/{ref}", json={"assignee": "bob"})
    api.post(f"/api/v1/incidents/{ref}/comments", json={
        "body": "@bob the vendor's technician arrives at 14:00; can you meet him at the gate?",
        "visibility": "internal"})
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    with open_tab(chromium, request.param, prefix="notifications", shots=screenshot_dir(tmp_path),
                  for_docs=FOR_DOCS) as tab:
        yield tab


def menu_count(page: Any) -> str:
    """The menu entry's count as a screen reader says it ("4 unread"), or "" when there is none."""
    count = page.get_by_role("navigation", name="Main").locator('a[href="/notifications"] .count')
    return " ".join(str(count.text_content()).split()) if count.count() else ""


def test_an_agent_reads_and_clears_notifications(page: Any, hub_url: str) -> None:
    sign_in(page, hub_url, "bob")
    assert menu_count(page) == "4 unread"  # two new in line 3, assigned and mentioned on the second

    page.keyboard.press("b")  # the menu entry's shortcut
    page.wait_for_url(re.compile(r".*/notifications$"))
    items = page.locator("ul.notifications li")
    assert items.count() == 4
    assert items.first.locator("a.what").inner_text().startswith("alice mentioned you on INC-000002: @bob the")
    assert page.locator("#unread-count").inner_text() == "4 unread"
    page.shot("list")

    button = items.first.get_by_role("button", name=re.compile(r"^Mark read"))
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator(".flash.success").first.inner_text() == "Marked as read."
    assert page.locator("#unread-count").inner_text() == "3 unread" and menu_count(page) == "3 unread"
    assert page.locator("ul.notifications li.read").count() == 1

    page.get_by_role("button", name="Mark all read").click()
    assert page.locator(".flash.success").first.inner_text() == "Marked 3 as read."
    assert menu_count(page) == "" and page.locator("ul.notifications li.unread").count() == 0
    page.get_by_role("link", name="Unread").click()
    assert page.get_by_text("Nothing unread.").is_visible()

    page.get_by_role("link", name="Choose what you get").click()
    page.wait_for_url(re.compile(r".*/notifications/settings$"))
    page.shot("settings")
    box = page.get_by_label("A service level is close to its due time: Mail")
    assert not box.is_checked()
    box.check()
    page.get_by_label("One digest mail an hour").check()
    page.get_by_role("button", name="Save").click()
    assert page.locator(".flash.success").first.inner_text() == "Saved what you hear of, and how."
    assert page.get_by_label("A service level is close to its due time: Mail").is_checked()
    assert page.get_by_label("One digest mail an hour").is_checked()

    page.get_by_role("link", name="Notifications").first.click()
    items.first.locator("a.what").click()  # opening one goes to its ticket
    page.wait_for_url(re.compile(r".*/tickets/INC-\d{6}$"))
