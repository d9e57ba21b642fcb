"""Custom fields in Chromium at a desktop and a phone width: an admin defines guest services'
VIP field from the page; an agent opens an incident whose form shows that department's fields
once the department is chosen, fills them in, edits one on the ticket page, and finds the
ticket with a list filter showing the field as a column. Every page passes the layout checks
(tests/browser/test_layout_browser.py: no sideways scrolling).

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser.test_layout_browser import _problems_of
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user
    from hub.sdk.actors import Actor
    from hub.tracker import catalog, custom_fields

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="ada", role="admin", password=PASSWORD, display_name="Ada Admin")
        for slug, name in (("guest-services", "Guest services"), ("quality", "Quality")):
            catalog.create_department(session=session, slug=slug, name=name)
        actor = Actor.system()
        custom_fields.create_field(session=session, name="cabin_number", label="Cabin number", type="text",
                                   required=True, department="guest-services", kind="incident",
                                   help="As on the key card, e.g. 7104.", actor=actor)
        custom_fields.create_field(session=session, name="lot", label="Lot", type="text", department="quality",
                                   actor=actor)
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    size = request.param
    context = chromium.new_context(viewport=WIDTHS[size])
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    problems: list[str] = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("dialog", lambda dialog: dialog.accept())
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        tab.screenshot(path=str(shots / f"fields-{name}-{size}.png"), full_page=True)
        problems.extend(_problems_of(tab, f"fields-{name}", WIDTHS[size]))

    tab.shot = shot
    yield tab
    context.close()
    assert not errors, f"the browser reported errors (CSP or script): {errors}"
    assert not problems, "\n".join(problems)


def flash_of(page: Any) -> str:
    return str(page.locator(".flash.success").first.inner_text())


def test_fields_from_definition_to_form_page_and_list(page: Any, hub_url: str) -> None:
    page.goto(hub_url + "/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/(tickets)?$"))

    page.goto(hub_url + "/admin/org/fields")
    form = page.locator("form.org-form")
    form.get_by_label("Label").fill("VIP")
    form.get_by_label("Name").fill("vip")
    form.get_by_label("Type").select_option("choice")
    form.get_by_role("button", name="Add field").click()  # a slip first: a choice needs options
    assert "A choice field needs at least one option." in page.locator(".error-summary").inner_text()
    page.locator("form.org-form").get_by_label("Options").fill("no\nsilver\ngold")
    page.locator("form.org-form").get_by_label("Department").select_option("guest-services")
    page.locator("form.org-form").get_by_role("button", name="Add field").click()
    assert flash_of(page) == "Added custom field vip."
    page.shot("admin")

    page.goto(hub_url + "/tickets/new")
    assert page.get_by_label("Lot").is_hidden()  # no department chosen: no department's fields apply
    page.get_by_label("Department").select_option("quality")
    assert page.get_by_label("Lot").is_visible() and page.get_by_label("Cabin number").is_hidden()
    page.get_by_label("Title").fill("Cabin too warm")
    page.get_by_label("Department").select_option("guest-services")
    assert page.get_by_label("Lot").is_hidden() and page.get_by_label("Cabin number").is_visible()
    page.get_by_role("button", name="Create incident").click()  # the cabin number is required
    assert page.locator("#cf\\.cabin_number[aria-invalid=true]").count() == 1
    page.shot("create-error")
    page.get_by_label("Cabin number").fill("7104")
    page.get_by_label("VIP").select_option("gold")
    page.get_by_role("button", name="Create incident").click()
    assert flash_of(page).startswith("Created INC-")
    details = page.locator("#details").inner_text()
    assert "Cabin number" in details and "7104" in details and "gold" in details

    page.locator("#edit summary").click()
    page.locator("#edit-cf\\.cabin_number").fill("7106")
    page.shot("ticket-edit")
    page.locator("#edit-form").get_by_role("button", name="Save changes").click()
    page.locator(".flash.success", has_text="Cabin number").wait_for()  # saved in place (data-inline)
    assert "7106" in page.locator("#details").inner_text()
    page.shot("ticket")

    page.goto(hub_url + "/tickets?cf.vip=gold&col=vip&col=cabin_number")
    rows = page.locator("table.tickets tbody tr[data-row]")
    assert rows.count() == 1 and "7106" in rows.first.inner_text()
    page.shot("list")
