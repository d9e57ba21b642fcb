"""Layout that holds: every main page at a desktop (1280x800) and a phone (390x844) width.

Each page is screenshotted (into $SCREENSHOT_DIR, else the test's tmp dir) and checked
for what breaks a page for a person: a page wider than the screen (horizontal scroll), and,
on the lists, a filter form so tall that the first ticket is below the first screen.
Set UPDATE_SCREENSHOTS=1 to write the docs' copies (docs/screenshots/layout-*.png) again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.connectors.webform.conftest import GUEST_FEEDBACK
from tests.support.browser import sideways_scroll
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: The pages whose copies go into the docs (the rest stay in the screenshot directory).
FOR_DOCS = {"tickets", "log-call", "new-change"}
LISTS = ("tickets", "changes", "my-work")




@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("insights", "plugins.insights"), ("webform", "connectors.webform"),
                             ("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture
def seeded(app: Flask, api: Any) -> dict[str, str]:
    """A hub with enough in it that the lists fill a screen: 60 incidents, a change, a web form."""
    from hub.auth.users import create_user
    from hub.tracker.status_links import status_token
    from hub.tracker.tickets import get_ticket

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="admin", role="admin", password=PASSWORD, display_name="Ada Admin")
    for slug, name in (("front-desk", "Front desk"), ("quality", "Quality and manufacturing")):
        assert api.post("/api/v1/departments", json={"slug": slug, "name": name}).status_code == 201
    for slug in ("housekeeping", "food", "maintenance"):
        api.post("/api/v1/categories", json={"slug": slug, "name": slug.title()})
    first = ""
    for number in range(60):
        body = {"title": f"Guest in room {100 + number} reports the air conditioning rattles all night long",
                "department": "front-desk" if number % 2 else "quality", "impact": "high",
                "requester": {"name": "Gina Guest", "email": f"guest{number}@example.org"}}
        if number % 3 == 0:
            body["assignee"] = "admin"
        response = api.post("/api/v1/incidents", json=body)
        assert response.status_code == 201, response.json
        first = first or response.json["ref"]
    api.post("/api/v1/changes", json={"title": "Replace the chiller on line 2", "department": "quality"})
    assert api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "guest-feedback",
                                                      "enabled": True, "config": GUEST_FEEDBACK}).status_code == 201
    with app.extensions["hub"].db.transaction() as session:
        token = status_token(session, get_ticket(session, first))
    return {"ref": first, "token": token}


def _pages(seeded: dict[str, str]) -> list[tuple[str, str]]:
    """(name, path) of every main page an agent, an admin or a requester opens."""
    return [
        ("tickets", "/tickets"), ("changes", "/tickets/changes"), ("my-work", "/my-work"),
        ("ticket", f"/tickets/{seeded['ref']}"), ("admin", "/admin/"), ("plugins", "/admin/plugins"),
        ("insights", "/insights"), ("new-incident", "/tickets/new"), ("log-call", "/tickets/log-call"),
        ("new-change", "/tickets/changes/new"), ("drafts", "/tickets/changes/drafts"),
        ("canned-replies", "/canned-replies"),
    ]


def _sign_in(page: Any, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/tickets$"))


def _problems_of(page: Any, name: str, viewport: dict[str, int]) -> list[str]:
    """What is broken on the page shown now, as sentences (empty when it holds)."""
    found = sideways_scroll(page, name)
    if name in LISTS:
        row = page.locator("tr[data-row]").first
        box = row.bounding_box() if row.count() else None
        if box is None:
            found.append(f"{name}: shows no ticket row")
        elif box["y"] + box["height"] > viewport["height"]:
            found.append(f"{name}: the first ticket ends at {box['y'] + box['height']:.0f}px, below the first "
                         f"screen ({viewport['height']}px)")
    return found


@pytest.mark.parametrize("size", list(WIDTHS))
def test_every_main_page_holds_its_layout(chromium: Any, app: Flask, seeded: dict[str, str], shots: Path,
                                          size: str) -> None:
    viewport = WIDTHS[size]
    context = chromium.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: list[str] = []
    update_docs = os.environ.get("UPDATE_SCREENSHOTS") == "1"

    def check(name: str) -> None:
        # The first screen is what a person judges a page by; the full page shows the rest.
        page.screenshot(path=str(shots / f"{name}-{size}.png"))
        page.screenshot(path=str(shots / f"{name}-{size}-full.png"), full_page=True)
        if update_docs and name in FOR_DOCS:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SHOTS / f"layout-{name}-{size}.png"))
        problems.extend(_problems_of(page, name, viewport))

    with live_server(app) as url:
        # The requester's and guest's pages first, signed out.
        for name, path in (("status-page", f"/s/{seeded['token']}"), ("web-form", "/f/guest-feedback"),
                           ("login", "/login")):
            response = page.goto(url + path)
            assert response is not None and response.status == 200, (name, response and response.status)
            check(name)
        _sign_in(page, url)
        for name, path in _pages(seeded):
            response = page.goto(url + path)
            assert response is not None and response.status == 200, (name, response and response.status)
            check(name)
    context.close()
    assert not errors, errors
    assert not problems, "\n".join(problems)
