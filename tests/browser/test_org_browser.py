"""An admin builds the organisation from the pages alone, in Chromium at a desktop and a phone
width: two agents, a department, a group with both agents, a category, and a line with three
machines; then the line's history. Every page passes the layout checks the main pages pass
(tests/browser/test_layout_browser.py: no sideways scrolling).

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir); UPDATE_SCREENSHOTS=1 writes the
docs' copies (docs/screenshots/org-*.png, shown in docs/admin.md).
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

MACHINES = ("Filler", "Capper", "Labeller")
#: The screenshots the admin guide shows.
FOR_DOCS = {"items", "group", "history"}


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:  # the one account that exists: the admin
        create_user(session=session, username="ada", role="admin", password=PASSWORD, display_name="Ada Admin")
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    # accept_dialogs: data-confirm buttons ask first
    with open_tab(chromium, request.param, prefix="org", shots=screenshot_dir(tmp_path), for_docs=FOR_DOCS,
                  accept_dialogs=True) as tab:
        yield tab


def flash_of(page: Any) -> str:
    return str(page.locator(".flash.success").first.inner_text())


def open_section(page: Any, name: str) -> None:
    """Through the menu, as a person would: Organisation, then the section's tab."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisation").click()
    page.wait_for_url(re.compile(r".*/admin/org/$"))
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name=name).click()


def add_agents(page: Any, url: str) -> None:
    page.goto(url + "/admin/users")
    for username, display in (("maria", "Maria Lopez"), ("omar", "Omar Haddad")):
        form = page.locator("form").filter(has=page.get_by_role("button", name="Add user"))
        form.get_by_label("Username").fill(username)
        form.get_by_label("Display name").fill(display)
        form.get_by_label("Role").select_option("agent")
        form.get_by_role("button", name="Add user").click()
        assert flash_of(page) == f"Created {username}."


def alarms_on(app: Flask, key: str) -> None:
    """What the line's alarms would leave: a fault that came back three times, and one more ticket."""
    from hub.ingest.pipeline import open_ticket
    from hub.models import Ticket
    from hub.sdk.actors import Actor

    with app.extensions["hub"].db.transaction() as session:
        for title in ("Filler E101: bottle jam", "Filler E101: bottle jam again", "Filler door open"):
            ticket = open_ticket(session=session, kind="incident", values={"title": title, "ci": key}, source="api",
                                 actor=Actor(type="system", name="test", origin="test"))
            if "E101" in title:
                session.get(Ticket, ticket.id).correlation_key = "plant-a/line-3/filler/E101"
                session.get(Ticket, ticket.id).occurrence_count = 3


def test_an_admin_builds_the_organisation_from_the_pages(page: Any, hub_url: str, app: Flask) -> None:
    sign_in(page, hub_url, "ada")
    add_agents(page, hub_url)

    open_section(page, "Departments")
    page.get_by_label("Name").fill("Plant quality")
    page.get_by_label("Slug").fill("Plant Quality")  # a slip first: the field says what is wrong
    page.get_by_role("button", name="Add department").click()
    assert page.locator("#f-slug[aria-invalid=true]").count() == 1
    assert "Lower-case letters, digits and dashes" in page.locator(".error-summary").inner_text()
    page.shot("department-error")
    page.get_by_label("Slug").fill("quality")
    page.get_by_role("button", name="Add department").click()
    assert flash_of(page) == "Added department quality."
    page.shot("departments")

    open_section(page, "Groups")
    page.get_by_label("Name").fill("Line 3 maintenance")
    page.get_by_label("Slug").fill("line-3")
    page.get_by_label("Department").select_option("quality")
    page.get_by_role("button", name="Add group").click()
    page.wait_for_url(re.compile(r".*/admin/org/groups/line-3#members$"))
    for username in ("maria", "omar"):
        page.get_by_label("Add an agent").select_option(username)
        page.get_by_role("button", name="Add", exact=True).click()
        assert username in flash_of(page)
    assert page.get_by_role("heading", name="Members (2)").is_visible()
    page.shot("group")

    open_section(page, "Categories")
    page.get_by_label("Name").fill("Seal failure")
    page.get_by_label("Slug").fill("seal-failure")
    page.get_by_label("Department").select_option("quality")
    page.get_by_role("button", name="Add category").click()
    assert flash_of(page) == "Added category seal-failure."
    page.shot("categories")

    open_section(page, "Configuration items")
    page.get_by_label("Name").fill("Line 3")
    page.get_by_label("Key").fill("plant-a/line-3")
    page.get_by_label("Kind").select_option("line")
    page.get_by_label("Criticality").select_option("high")
    page.get_by_label("Owner").select_option("maria")
    page.get_by_label("Department").select_option("quality")
    page.get_by_role("button", name="Add item").click()
    assert flash_of(page) == "Added Line 3 (plant-a/line-3)."
    for machine in MACHINES:
        page.get_by_role("link", name="Add an item below Line 3").click()
        assert page.get_by_label("Part of").input_value() == "plant-a/line-3"
        assert page.get_by_label("Kind").input_value() == "machine"  # what a line holds
        page.get_by_label("Name").fill(machine)
        page.get_by_label("Key").fill(f"plant-a/line-3/{machine.lower()}")
        page.get_by_role("button", name="Add item").click()
        assert flash_of(page) == f"Added {machine} (plant-a/line-3/{machine.lower()})."
    tree = page.locator("ul.ci-tree li")
    assert [tree.nth(n).get_attribute("class") for n in range(tree.count())] == ["ci-depth-0"] + ["ci-depth-1"] * 3
    line_box, machine_box = (tree.nth(n).locator(".ci-name").bounding_box() for n in (0, 1))
    assert machine_box["x"] > line_box["x"] + 10  # drawn indented, not only classed so
    page.shot("items")

    alarms_on(app, "plant-a/line-3/filler")
    page.get_by_role("link", name="History of Line 3").click()
    assert page.get_by_role("heading", name="History of Line 3").is_visible()
    page.get_by_role("link", name="Include the items below it").click()
    main = page.locator("main").inner_text()
    assert "and the 3 items below it" in main and "Filler door open" in main
    recurring = page.locator("#recurring + .table-wrap tbody tr")
    assert recurring.count() == 1 and "plant-a/line-3/filler/E101" in recurring.inner_text()
    assert recurring.locator("td").nth(2).inner_text() == "6"  # occurrences of the fault, over both tickets
    page.shot("history")

    open_section(page, "Departments")
    page.get_by_role("link", name="Plant quality").click()
    zone = page.locator("#delete")
    assert "In use: 1 group, 1 category, 4 configuration items." in zone.inner_text()
    assert zone.get_by_role("button", name="Delete quality").count() == 0  # refused while in use
    page.shot("department-in-use")
