"""Problems in a real browser, at desktop (1280x800) and phone (390x844) widths (issue 22 point 2):
tick two recurring incidents and open a problem from them, write its workaround and make it a
known error, then see the workaround on the next incident from the same machine and alarm, and
open a second problem from the machine's row of Insights' recurring faults.

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir); UPDATE_SCREENSHOTS=1 writes the
docs' copies (docs/screenshots/problem-*.png) too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.models import ConfigurationItem, Ticket
from tests.browser.test_ui_browser import PASSWORD, WAIT_MS
from tests.conftest import ApiClient, make_token
from tests.support.browser import WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Every screenshot this test takes goes to docs/screenshots with UPDATE_SCREENSHOTS=1.
DOC_SHOTS = ("selected", "page", "known-error", "insights", "list")
KEY = "plant-a/line3/filler-3/E42"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config.get("PLUGINS", []), ("insights", "plugins.insights")]
    return app_config


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber")
        session.add(ConfigurationItem(key="filler-3", name="Filler 3", kind="machine"))
    with live_server(app) as url:
        yield url


def alarm(app: Flask, api: ApiClient, title: str) -> str:
    """An incident as the line's alarms make it: on Filler 3, with the alarm's key."""
    ref = str(api.post("/api/v1/incidents", json={"title": title, "ci": "filler-3"}).json["ref"])
    with app.extensions["hub"].db.transaction() as session:
        session.scalar(select(Ticket).where(Ticket.ref == ref)).correlation_key = KEY
    return ref


def move(tab: Any, to: str) -> None:
    tab.locator("#to").select_option(to)
    tab.locator("#transition-form").get_by_role("button", name="Move").click()
    tab.wait_for_function("s => document.querySelector('.summary').innerText.includes(s)",
                          arg=to.replace("_", " "))


@pytest.mark.parametrize("size", list(WIDTHS))
def test_open_a_problem_from_two_incidents_and_see_its_workaround_on_the_next(chromium: Any, app: Flask,
                                                                              hub_url: str, tmp_path: Path,
                                                                              size: str) -> None:
    api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    first, second = alarm(app, api, "Filler 3 stops: star wheel jam"), alarm(app, api, "Filler 3 jams again")
    with open_tab(chromium, size, prefix="problem", shots=screenshot_dir(tmp_path), timeout_ms=WAIT_MS,
                  for_docs=DOC_SHOTS) as tab:
        sign_in(tab, hub_url, "maria")

        # Tick both incidents and open a problem from them.
        tab.get_by_label(f"Select {first}").check()
        tab.get_by_label(f"Select {second}").check()
        panel = tab.locator("details[data-bulk]")
        if not panel.evaluate("el => el.open"):
            panel.locator("summary").click()
        tab.get_by_label("Action").select_option("problem")
        assert tab.locator("#bulk-problem-title").is_visible() and not tab.get_by_label("Main incident").is_visible()
        tab.locator("#bulk-problem-title").fill("Filler 3 star wheel jams")
        tab.shot("selected")
        tab.get_by_role("button", name="Apply to selected").click()
        tab.wait_for_url(re.compile(r".*/tickets/PRB-000001$"))
        assert tab.locator(".flash.success").inner_text().strip() == \
            "Opened PRB-000001 from 2 incidents; each is linked to it."
        related = tab.locator("#related").inner_text()
        assert first in related and second in related and "Problem behind" in related

        # Write the workaround (the edit form saves in place), then make it a known error.
        tab.locator("#edit summary").click()
        tab.locator("#edit-workaround").fill("Stop the infeed, clear the star wheel, reset E42 on the panel.")
        tab.locator("#edit-form").get_by_role("button", name="Save changes").click()
        tab.wait_for_selector("#workaround .body")
        move(tab, "investigating")
        move(tab, "known_error")
        tab.locator("#workaround").scroll_into_view_if_needed()
        tab.shot("page")

        # The next alarm from the same machine shows the workaround at once.
        third = alarm(app, api, "Filler 3 stopped on the night shift")
        tab.goto(f"{hub_url}/tickets/{third}")
        card = tab.locator("[data-known-error='PRB-000001']")
        assert card.is_visible()
        assert "clear the star wheel" in card.inner_text() and "same item and alarm key" in card.inner_text()
        tab.shot("known-error")

        # Insights: the machine's row of "What fails most" opens a problem from its three incidents.
        tab.goto(f"{hub_url}/insights")
        row = tab.locator("tr", has_text="Filler 3").first
        row.scroll_into_view_if_needed()
        assert tab.locator("#kpi-known-errors").inner_text() == "1"
        tab.shot("insights")
        row.get_by_role("button", name="Open a problem").click()
        tab.wait_for_url(re.compile(r".*/tickets/PRB-000002$"))
        assert "Filler 3 fails again and again (3 incidents)" in tab.locator("h1").inner_text()
        assert all(ref in tab.locator("#related").inner_text() for ref in (first, second, third))

        tab.goto(f"{hub_url}/tickets/problems")
        assert "PRB-000001" in tab.locator("table").inner_text()
        tab.shot("list")
