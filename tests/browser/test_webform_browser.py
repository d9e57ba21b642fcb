"""A guest reports a problem through the web form in Chromium and follows it to a rating.

Set UPDATE_SCREENSHOTS=1 to write docs/screenshots/webform-*.png again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.connectors.webform.conftest import GUEST_FEEDBACK, samples
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webform", "connectors.webform")]
    return app_config


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    # A phone-sized window: most guests report from their phone.
    context = chromium.new_context(viewport={"width": 400, "height": 860})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"the browser reported errors (CSP or script): {errors}"


def shot(page: Any, name: str) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"webform-{name}.png"), full_page=True)


def fill(page: Any, values: dict[str, str]) -> None:
    for spec in GUEST_FEEDBACK["fields"]:
        value = values.get(spec["name"])
        if value is None or spec["type"] == "file":
            continue
        field = page.get_by_label(spec["label"], exact=False).first
        if spec["type"] == "select":
            field.select_option(value or "")
        else:
            field.fill(value)


def test_report_follow_answer_confirm_and_rate(page: Any, app: Flask, api: Any) -> None:
    for slug in ("housekeeping", "food", "maintenance"):
        api.post("/api/v1/categories", json={"slug": slug, "name": slug.title()})
    assert api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "guest-feedback",
                                                      "enabled": True, "config": GUEST_FEEDBACK}).status_code == 201
    invalid, markup = samples()[1]["fields"], samples()[2]["fields"]
    with live_server(app) as url:
        page.goto(f"{url}/f/guest-feedback")
        shot(page, "form")
        fill(page, invalid)
        page.get_by_role("button", name="Send").click()
        summary = page.locator("#error-summary")
        assert "Enter an email address" in summary.inner_text()
        assert page.locator("#error-message").inner_text() == "Please fill this in."
        assert page.get_by_label("Your name").input_value() == "Tom"  # what was typed is kept
        shot(page, "errors")

        fill(page, markup)
        page.get_by_role("button", name="Send").click()
        reference = page.locator(".reference").inner_text()
        assert re.fullmatch(r"INC-\d{6}", reference)
        shot(page, "confirmation")

        page.get_by_role("link", name=f"Follow {reference}").click()
        assert "<script>alert(1)</script>" in page.inner_text("body")  # shown as text, never run
        page.get_by_label("Your message to the team").fill("The room is on the 2nd floor.")
        page.get_by_role("button", name="Send").click()
        assert "Your message was added" in page.inner_text(".flashes")
        assert "The room is on the 2nd floor." in page.inner_text("body")
        shot(page, "status")

        assert api.post(f"/api/v1/incidents/{reference}/transitions",
                        json={"to": "resolved", "resolution": "Room cleaned, towels replaced."}).status_code == 200
        page.reload()
        assert "Is it solved?" in page.inner_text("body")
        page.get_by_role("button", name="Yes, it is solved").click()
        assert "the ticket is closed" in page.inner_text(".flashes")
        page.get_by_label("4").check()
        page.get_by_label("Anything you want to tell us? (optional)").fill("Quick, thank you")
        page.get_by_role("button", name="Send rating").click()
        assert "Thank you for your rating" in page.inner_text(".flashes")
        shot(page, "rated")
    ticket = api.get(f"/api/v1/incidents/{reference}").json
    assert ticket["status"] == "closed" and ticket["csat_score"] == 4
