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


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_trends_by_group_at_desktop_and_phone_width(chromium: Any, app: Flask, api: Any, runtime: Any,
                                                    tmp_path: Path, size: str) -> None:
    """Issue 22 point 8 and issue 24 point 5: the lines over time, the grouping selector, the
    figures behind a chart as a table, changes by outcome and their incidents, the cost of
    complaints; readable on a phone (nothing scrolls sideways but a table in its wrapper)."""
    from hub.auth.users import create_user
    from tests.plugins.insights.test_trends import NOVEMBER, seed
    from tests.support.browser import open_tab, screenshot_dir, sign_in

    seed(runtime)
    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="ada", role="admin", password=PASSWORD)
    api.put("/api/v1/admin/plugins/insights/settings",
            json={"settings": {"cost_incident": 120.5, "cost_change": 1000, "currency": "CHF"}})
    shots = screenshot_dir(tmp_path)
    with live_server(app) as url, open_tab(chromium, size, prefix="insights-trends", shots=shots) as tab:
        sign_in(tab, url, "ada", PASSWORD)
        tab.goto(f"{url}/insights?{NOVEMBER}")
        for ident in ("trend-csat", "trend-response", "trend-resolution", "trend-faults", "trend-problems"):
            assert tab.locator(f"#{ident} svg.chart-lines").is_visible()
        assert tab.get_by_role("img", name="Satisfaction over time (1-5)").count() == 1
        tab.get_by_label("Group by").select_option("customer")
        tab.get_by_role("button", name="Update charts").click()
        tab.wait_for_url("**group=customer**")
        assert tab.locator("#breakdown tbody tr").first.locator("td").first.inner_text() == "(none)"
        assert "Ann" in tab.locator("#breakdown").inner_text()
        legend = [entry.strip() for entry in tab.locator("#trend-csat .chart-legend li").all_inner_texts()]
        assert legend == ["All tickets", "(none)", "Ann"]  # Bob has no score: no line
        # The figures behind a chart, for those who cannot see it.
        tab.locator("#trend-csat summary").click()
        table = tab.locator("#trend-csat table")
        assert table.is_visible() and "2026-11-02" in table.inner_text()
        assert tab.locator("#kpi-changes-rolled-back").inner_text() == "1"
        assert tab.locator("#kpi-caused-incidents").inner_text() == "3"
        assert tab.locator("#kpi-cost-total").inner_text() == "2,482.00 CHF"
        tab.shot("dashboard")
        for section in ("trends", "changes", "cost"):  # closer looks than the full page's
            tab.locator(f"#{section}").screenshot(path=str(shots / f"insights-{section}-section-{size}.png"))
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" and size == "desktop":
            tab.locator("#trends").screenshot(path=str(SHOTS / "insights-trends.png"))
        tab.get_by_role("link", name="Set the cost per ticket kind").click()
        assert tab.get_by_label("Cost per incident").input_value() == "120.5"
