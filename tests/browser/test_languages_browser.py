"""The requester's pages in their language, in Chromium, at a desktop (1280x800) and a phone
(390x844) width: the Spanish status page and web form, the switcher, and German's long words
on a phone. Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir); UPDATE_SCREENSHOTS=1
writes the docs' copies (docs/screenshots/languages-*.png) again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.connectors.webform.conftest import GUEST_FEEDBACK
from tests.connectors.webform.test_languages import SPANISH_WORDS
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
FOR_DOCS = {"status-es", "form-es"}
#: A German compound as guests write them: the page must wrap it, not scroll sideways.
LONG_WORD = "Klimaanlagenwartungsvertragsverlängerung"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webform", "connectors.webform")]
    return app_config


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def _status_link(app: Flask, api: Any, title: str, language: str) -> str:
    from hub.tracker.status_links import status_token
    from hub.tracker.tickets import get_ticket

    ref = api.post("/api/v1/incidents", json={"title": title, "description": "Zimmer 12, seit gestern Abend.",
                                              "language": language, "requester": {
                                                  "name": "Gina Gästefreundlichkeitsbeauftragte",
                                                  "email": "gina@example.org"}}).json["ref"]
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Der Techniker kommt um 14 Uhr."})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Filter getauscht."})
    with app.extensions["hub"].db.transaction() as session:
        return f"/s/{status_token(session, get_ticket(session, ref))}"


def _scrolls_sideways(page: Any) -> str:
    width, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return ""
    wide = page.evaluate("""(limit) => Array.from(document.querySelectorAll('body *'))
        .filter(el => el.getBoundingClientRect().right > limit + 1).slice(0, 5)
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))""", inner)
    return f"{page.url}: {width}px wide in {inner}px ({wide})"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_requesters_pages_in_spanish_and_german(chromium: Any, app: Flask, api: Any, shots: Path,
                                                    size: str) -> None:
    for slug in ("housekeeping", "food", "maintenance"):  # the form's topics name these categories
        assert api.post("/api/v1/categories", json={"slug": slug, "name": slug.title()}).status_code == 201
    config = {**GUEST_FEEDBACK, "translations": {"es": SPANISH_WORDS}}  # the form's own words too
    assert api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "guest-feedback",
                                                      "enabled": True, "config": config}).status_code == 201
    spanish = _status_link(app, api, "La ducha del baño no tiene agua caliente", "es")
    german = _status_link(app, api, f"{LONG_WORD} im Zimmer 12 nötig", "de")
    context = chromium.new_context(viewport=WIDTHS[size])
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: list[str] = []

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" and name in FOR_DOCS:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SHOTS / f"languages-{name}-{size}.png"))
        problems.append(_scrolls_sideways(page))

    with live_server(app) as url:
        page.goto(url + spanish)
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("heading", name="¿Se ha resuelto?").is_visible()
        assert page.get_by_role("button", name="Sí, se ha resuelto").is_visible()
        assert page.get_by_role("navigation", name="Idioma").get_by_role("link", name="Español") \
            .get_attribute("aria-current") == "true"
        shot("status-es")

        page.goto(url + "/f/guest-feedback")  # the switcher has not been used: the browser's (English)
        assert page.get_by_role("button", name="Send").is_visible()
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
        page.wait_for_url("**/f/guest-feedback?lang=es")
        assert page.get_by_role("heading", name="Cuéntenos qué ha fallado").is_visible()
        page.get_by_role("button", name="Enviar").click()  # empty: the errors in Spanish
        assert "Su nombre: Rellene este campo." in page.locator("#error-summary").inner_text()
        shot("form-es")

        page.goto(url + german)  # the cookie now says Spanish: the guest's choice beats the ticket's
        assert page.locator("html").get_attribute("lang") == "es"
        page.get_by_role("navigation", name="Idioma").get_by_role("link", name="Deutsch").click()
        assert page.get_by_role("heading", name="Ist das Problem gelöst?").is_visible()
        assert page.get_by_role("button", name="Nein, es ist nicht gelöst").is_visible()
        shot("status-de")
        page.goto(url + "/f/guest-feedback")
        page.get_by_role("button", name="Senden").click()
        assert "Bitte füllen Sie dieses Feld aus." in page.locator("#error-summary").inner_text()
        shot("form-de")
    context.close()
    assert not errors, errors
    assert not [problem for problem in problems if problem], problems
