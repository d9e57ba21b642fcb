"""The admin form says why a stored secret must be typed again after re-pointing an instance (D2)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


def test_the_form_asks_for_the_secret_again_when_the_push_address_changes(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    created = admin.post("/admin/instances/new", {
        "connector": "webhook", "slug": "shop", "config.secret": "0123456789abcdef0123",
        "config.push_url": "http://127.0.0.1:1/a"})
    assert created.status_code == 302, created.get_data(as_text=True)
    page = admin.text("/admin/instances/shop")
    assert "as long as the address and account stay the same" in page

    moved = admin.post("/admin/instances/shop", {"config.secret": "", "config.push_url": "http://127.0.0.1:9/b"})
    html = moved.get_data(as_text=True)
    assert moved.status_code == 422
    assert "Enter it again: push_url changed" in html
    assert "http://127.0.0.1:1/a" in admin.text("/admin/instances/shop")  # nothing was saved
