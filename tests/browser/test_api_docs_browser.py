"""I2: the API reference (Swagger UI from the swagger-ui-bundle package) renders offline under its
Content-Security-Policy, in Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_the_api_reference_renders_without_csp_violations(chromium: Any, app: Flask) -> None:
    context = chromium.new_context()
    context.set_default_timeout(30_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    with live_server(app) as url:
        # Every request the page makes stays on the hub: nothing from a CDN.
        elsewhere: list[str] = []
        page.on("request", lambda request: elsewhere.append(request.url)
                if not request.url.startswith((url, "data:", "blob:")) else None)
        response = page.goto(url + "/api/v1/docs")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        page.get_by_role("heading", name="itsm-hub").first.wait_for()
        page.get_by_text("One tracker for complaints").first.wait_for()  # rendered from the OpenAPI document
        page.get_by_text("/api/v1/incidents").first.wait_for()
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            page.screenshot(path=str(SHOTS / "api-docs.png"))
    context.close()
    assert not problems, problems
    assert not elsewhere, elsewhere
