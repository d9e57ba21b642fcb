"""The insight dashboard in Chromium: an agent signs in, filters, sees figures and charts, downloads CSV.

Set UPDATE_SCREENSHOTS=1 to write docs/screenshots/insights.png again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("insights", "plugins.insights")]
    return app_config


def test_an_agent_reads_the_dashboard(chromium: Any, app: Flask, api: Any) -> None:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="agent", role="agent", password=PASSWORD)
    for department in ("front-desk", "quality"):
        api.post("/api/v1/departments", json={"slug": department, "name": department.title()})
    for number, department in enumerate(["front-desk", "front-desk", "quality"]):
        ref = api.post("/api/v1/incidents", json={"title": f"Report {number}", "department": department}).json["ref"]
        if number == 0:
            api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Done"})
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with live_server(app) as url:
        page.goto(f"{url}/insights")
        page.get_by_label("Username").fill("agent")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/insights")
        assert page.locator("#kpi-tickets").inner_text() == "3"
        assert page.locator("svg.chart").count() >= 3
        assert page.get_by_role("link", name="Insights").count() == 1  # in the menu
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "insights.png"), full_page=True)
        # The department filter names departments as people do, and sends the slug.
        assert page.locator("#department option[value='quality']").inner_text() == "Quality"
        page.get_by_label("Department", exact=True).select_option("quality")
        page.get_by_role("button", name="Show").click()
        assert page.locator("#kpi-tickets").inner_text() == "1"
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        assert "tickets,,1" in Path(download.value.path()).read_text()
    context.close()
    assert not errors, errors
