"""Issue 22's "done when" for change governance, in a browser at desktop and phone width:
an admin names the board (two of three) and a freeze; a normal change on Line 3 is refused
to its author's own approval, approved by two board members, and its collision with another
change on Line 3 is shown and overridden with a reason; the calendar shows both by site and
line, month and week; a board member decides through the mailed one-click link's page.

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ApiClient, make_token
from tests.support.browser import WIDTHS, open_tab, screenshot_dir
from tests.support.live import live_server
from tests.support.waiting import scaled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"


def wait_ms() -> float:
    return scaled(15) * 1000


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="admin", role="admin", password=PASSWORD, email="admin@hub.test")
        for name in ("bob", "carol", "dave"):
            create_user(session=session, username=name, role="agent", password=PASSWORD, email=f"{name}@hub.test",
                        display_name=name.capitalize())
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def tab(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    with open_tab(chromium, request.param, prefix="cab", shots=screenshot_dir(tmp_path), timeout_ms=wait_ms(),
                  accept_dialogs=True) as page:
        yield page


def says(tab: Any, text: str) -> None:
    from playwright.sync_api import expect

    expect(tab.locator(".flashes")).to_contain_text(text, timeout=wait_ms())


def sign_in(tab: Any, url: str, username: str) -> None:
    tab.goto(url + "/login")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/tickets$"))


def sign_out(tab: Any) -> None:
    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url(re.compile(r".*/login.*"))


def estate(app: Flask) -> ApiClient:
    """The plant's items and the board's group: what the Organisation pages hold already."""
    api = ApiClient(app.test_client(), make_token(app, "admin"))
    for key, name, kind, parent in (("plant-a", "Plant A", "site", None),
                                    ("plant-a/line-3", "Line 3", "line", "plant-a"),
                                    ("plant-a/line-3/filler-2", "Filler 2", "machine", "plant-a/line-3"),
                                    ("plant-a/line-4", "Line 4", "line", "plant-a")):
        assert api.post("/api/v1/configuration-items", json={"key": key, "name": name, "kind": kind,
                                                             "parent": parent}).status_code == 201
    assert api.post("/api/v1/groups", json={"slug": "cab", "name": "Change advisory board",
                                            "members": ["bob", "carol", "dave"]}).status_code == 201
    return api


def change_by(app: Flask, who: str, **fields: Any) -> str:
    """``who`` opens the change through the API with a token of their own (their tool), and sends
    it to assessment."""
    from hub.auth.tokens import create_token
    from hub.models import User

    with app.extensions["hub"].db.transaction() as session:
        user = session.query(User).filter_by(username=who).one()
        secret, _ = create_token(session=session, name=f"{who}-tool", role="agent", user=user)
    client = ApiClient(app.test_client(), secret)
    body = {"title": "Switch line 3 to 330 ml format", "type": "normal", "risk": "medium",
            "ci": "plant-a/line-3", "planned_start": "2027-03-09T06:00:00Z",
            "planned_end": "2027-03-09T10:00:00Z", **fields}
    ref = str(client.post("/api/v1/changes", json=body).json["ref"])
    for state in ("submitted", "assessment"):
        assert client.post(f"/api/v1/changes/{ref}/transitions", json={"to": state}).status_code == 200
    return ref


def test_a_normal_change_on_line_3_needs_two_of_three_and_shows_its_collision(
        tab: Any, hub_url: str, app: Flask) -> None:
    estate(app)
    # The admin names the board and a freeze at another time, on the admin page.
    sign_in(tab, hub_url, "admin")
    tab.goto(hub_url + "/admin/changes")
    boards = tab.locator("form[aria-label='Add a board']")
    boards.get_by_label("Change type").select_option("normal")
    boards.get_by_label("Board (a group)").select_option("cab")
    boards.get_by_label("Quorum").fill("2")
    boards.get_by_role("button", name="Add board").click()
    says(tab, "need 2 approval(s) from cab")
    freeze = tab.locator("form[aria-label='Add a freeze window']")
    freeze.get_by_label("Site").select_option("plant-a")
    freeze.get_by_label("Starts").fill("2027-03-20T00:00")
    freeze.get_by_label("Ends").fill("2027-03-23T00:00")
    freeze.get_by_label("Reason").fill("Customer audit")
    freeze.get_by_role("button", name="Add freeze").click()
    says(tab, "Freeze added")
    template = tab.locator("form[aria-label='Add a template']")
    template.get_by_label("Title").fill("Swap the filler's filter cartridge")
    template.get_by_label("Slug").fill("filter-swap")
    template.get_by_label("Implementation plan").fill("Stop, swap, run the CIP check.")
    template.get_by_role("button", name="Add template").click()
    says(tab, "Template filter-swap added")
    assert "2 of 3" in tab.locator("#boards").inner_text()
    tab.shot("admin")
    sign_out(tab)

    mine = change_by(app, "bob")
    other = change_by(app, "carol", title="Replace the filler's valve", ci="plant-a/line-3/filler-2",
                      planned_start="2027-03-09T08:00:00Z", planned_end="2027-03-09T12:00:00Z")

    # Bob asked for the change: his own approval is refused.
    sign_in(tab, hub_url, "bob")
    tab.goto(f"{hub_url}/tickets/{mine}")
    approval = tab.locator("#approval-form")
    approval.get_by_role("button", name="Approve").click()
    says(tab, "no self-approval")
    standing = tab.locator("#approval").inner_text()
    assert "cab (2 of 3 must approve)" in standing and "2 more approvals needed" in standing
    assert other in tab.locator("[data-schedule='blocked']").inner_text()  # the collision, before approval
    tab.shot("change-author-refused")
    sign_out(tab)

    # Carol approves: one of two.
    sign_in(tab, hub_url, "carol")
    tab.goto(f"{hub_url}/tickets/{mine}")
    tab.locator("#approval-form").get_by_role("button", name="Approve").click()
    says(tab, "1 more approval needed")
    sign_out(tab)

    # Dave's approval would approve it: the collision on Line 3 stops it until he gives a reason.
    sign_in(tab, hub_url, "dave")
    tab.goto(f"{hub_url}/tickets/{mine}")
    approval = tab.locator("#approval-form")
    approval.get_by_role("button", name="Approve").click()
    says(tab, f"collides with {other}")
    approval = tab.locator("#approval-form")
    approval.get_by_label("Reason to approve despite the collision or freeze").fill(
        "The valve job stops at 08:00 by agreement with the line lead")
    approval.get_by_role("button", name="Approve").click()
    says(tab, f"{mine} approved.")
    standing = tab.locator("#approval").inner_text()
    assert "carol, dave" in standing and "approved" in standing
    timeline = tab.locator(".timeline").inner_text()
    assert "Schedule override at approval" in timeline and f"collides with {other}" in timeline
    tab.shot("change-approved-by-quorum")

    # The calendar: month at Plant A, then the week at Line 3.
    tab.goto(f"{hub_url}/tickets/changes/calendar?date=2027-03-09")
    tab.get_by_label("Site").select_option("plant-a")
    tab.get_by_role("button", name="Show").click()
    day = tab.locator("[data-day='2027-03-09']")
    assert day.locator(f"[data-ref='{mine}']").count() == 1 and day.locator(f"[data-ref='{other}']").count() == 1
    assert tab.locator("[data-day='2027-03-21'] .freeze").inner_text().startswith("❄ Customer audit")
    tab.shot("calendar-month")
    tab.get_by_role("link", name="Week view").click()
    tab.get_by_label("Line").select_option("plant-a/line-3")
    tab.get_by_role("button", name="Show").click()
    assert "Week of 08 March 2027" in tab.locator("#period").inner_text()
    assert tab.locator(".entry").count() == 2
    tab.shot("calendar-week")
    sign_out(tab)


def test_a_board_member_decides_through_the_mailed_link(tab: Any, hub_url: str, app: Flask) -> None:
    api = estate(app)
    assert api.post("/api/v1/admin/approval-policies", json={"change_type": "normal", "group": "cab",
                                                             "quorum": 2}).status_code == 201
    ref = change_by(app, "bob", ci="plant-a/line-4")
    from hub.models import Ticket, User
    from hub.tracker.approval_links import issue_link

    with app.extensions["hub"].db.transaction() as session:
        ticket = session.query(Ticket).filter_by(ref=ref).one()
        token = issue_link(session, ticket, session.query(User).filter_by(username="carol").one())
    tab.goto(f"{hub_url}/approve/{token}")  # as the mail's link opens: nobody signed in
    assert f"Decide on {ref}" in tab.locator("h1").inner_text()
    tab.shot("mail-link-confirm")
    tab.get_by_role("button", name="Reject").click()
    assert "Say why the change is rejected" in tab.locator(".error-summary").inner_text()
    tab.get_by_label("Comment").fill("No rollback plan for the line 4 PLC")
    tab.get_by_role("button", name="Reject").click()
    assert "rejected by you" in tab.locator("h1").inner_text()
    tab.shot("mail-link-done")
    tab.goto(f"{hub_url}/approve/{token}")
    assert "each link decides once" in tab.locator("main").inner_text()
