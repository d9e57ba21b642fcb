"""The customer page in a real browser: one person who wrote through two channels is one
customer; the ticket page's requester leads there; at desktop and phone widths."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser.test_ui_browser import PASSWORD
from tests.browser.test_workspace_browser import SIZES, open_tab, screenshot, sign_in
from tests.conftest import ApiClient, make_token
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "customers-browser-0123456789abcdef"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla"), ("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user
    from hub.plugins.instances import create_instance

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber")
        create_instance(session=session, connector="webhook", slug="site", enabled=True,
                        config={"auth": "token", "secret": TOKEN, "idempotency_field": "id"})
    with live_server(app) as url:
        yield url


@pytest.mark.parametrize("size", list(SIZES))
def test_an_agent_sees_one_customer_across_channels(chromium: Any, app: Flask, hub_url: str, tmp_path: Path,
                                                     size: str) -> None:
    from playwright.sync_api import expect

    admin = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    hooked = app.test_client().post("/api/v1/hooks/site", headers={"X-Hub-Token": TOKEN}, json={
        "id": "form-1", "title": "Cabin 4 heating broken",
        "requester": {"name": "Ana Ruiz", "email": "ana@example.org"}})
    assert hooked.status_code == 201, hooked.get_data(as_text=True)
    ref = admin.post("/api/v1/incidents", json={"title": "Ana called: still cold", "requester": {
        "email": "ANA@example.org"}}).json["ref"]
    context, tab, errors = open_tab(chromium, SIZES[size])
    try:
        sign_in(tab, hub_url)
        tab.goto(f"{hub_url}/tickets/{ref}")
        tab.locator("#requester-customer").click()
        expect(tab.locator("h1")).to_contain_text("Ana Ruiz")
        rows = tab.locator("#customer-tickets tbody tr")
        expect(rows).to_have_count(2)
        assert "Ana called" in rows.nth(0).inner_text() and "Cabin 4" in rows.nth(1).inner_text()
        expect(tab.locator("#open-count")).to_have_text("2")
        expect(tab.locator("#identities")).to_contain_text("ana@example.org")
        shot = screenshot(tab, tmp_path, f"customer-{size}")
        keep = Path("/tmp/customers-shots")
        keep.mkdir(exist_ok=True)
        shutil.copy(shot, keep / shot.name)
        tab.get_by_label("Notes").fill("Prefers a call after 6 pm")
        tab.get_by_role("button", name="Save").click()
        expect(tab.locator("#c-notes")).to_have_value("Prefers a call after 6 pm")
        assert tab.locator("#export-link").count() == 0  # privacy is an admin's
        with tab.expect_download() as download:
            tab.get_by_role("link", name="Tickets as CSV").click()
        assert "Cabin 4 heating broken" in Path(download.value.path()).read_text()
        assert not errors, errors
    finally:
        context.close()
