"""An admin meets third-party plugins in the browser: one waiting to be enabled, one installed
after the hub started (restart needed), at desktop and phone sizes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hub import create_app
from hub.plugins.presence import ProcessBeacon
from tests.support.live import live_server
from tests.support.plugins import installed_plugins

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
TAGGER = '''
"""Tags every new ticket with the line it came from."""
from hub.hookspecs import hookimpl

@hookimpl
def enrich_ticket(draft):
    draft.tags.append("acme")
'''
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def hub_url(app_config: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    from hub.auth.users import create_user

    with installed_plugins(tmp_path / "site", {"acme-tags": TAGGER}, dist="acme-alarms", version="1.0"):
        app_config.update(LOAD_ENTRYPOINTS=True, LOAD_PLUGINS="acme-tags,acme-report,webhook")
        app: Flask = create_app(app_config)
        runtime = app.extensions["hub"]
        beacon = ProcessBeacon(runtime, "web", interval=60)
        runtime.caches["process_beacon"] = beacon
        beacon.beat()
        with runtime.db.transaction() as session:
            create_user(session=session, username="admin", role="admin", password=PASSWORD)
        with installed_plugins(tmp_path / "later", {"acme-report": TAGGER}, dist="acme-reports", version="2.1"):
            beacon.beat()  # what the process's thread does every HUB_PLUGIN_SCAN_SECONDS
            with live_server(app) as url:
                yield url
    runtime.db.dispose()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_an_admin_sees_what_waits_and_what_needs_a_restart(chromium: Any, hub_url: str, size: str,
                                                            tmp_path: Path) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(hub_url + "/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/tickets$"))

    banner = page.get_by_role("region", name="Restart needed")
    expect(banner).to_contain_text("acme-report 2.1: installed after this process started; restart the hub to load it")
    page.screenshot(path=str(tmp_path / f"tickets-{size}.png"), full_page=True)

    page.goto(hub_url + "/admin/plugins")
    waiting = page.locator("#plugin-acme-tags")
    expect(waiting).to_contain_text("disabled")
    expect(waiting).to_contain_text("third-party: acme-alarms")
    expect(page.locator("#plugin-acme-report")).to_contain_text("not loaded")
    assert page.locator("#plugin-acme-report").get_by_role("button").count() == 0  # nothing to switch yet
    page.screenshot(path=str(tmp_path / f"plugins-{size}.png"), full_page=True)

    page.get_by_role("button", name="Enable acme-tags").click()
    expect(page.locator(".flashes")).to_contain_text("acme-tags is enabled")
    expect(waiting).to_contain_text("enabled")
    if os.environ.get("KEEP_SCREENSHOTS"):
        for shot in tmp_path.glob("*.png"):
            shot.replace(Path(os.environ["KEEP_SCREENSHOTS"]) / shot.name)
    context.close()
    assert not errors
