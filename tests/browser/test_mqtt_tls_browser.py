"""An admin points an MQTT instance at a TLS broker that refuses anonymous clients, from the
pages alone, in Chromium at a desktop and a phone width: the form offers the TLS settings,
a wrong CA file is refused on its field, **Test connection** says the server certificate is
not trusted and what to fix, and after the fix it connects. Long file paths in those
messages must not make the page scroll sideways (tests/browser/test_layout_browser.py).

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.browser import WIDTHS, live_hub_with_admin, open_tab, screenshot_dir, sign_in
from tests.support.mosquitto import PASSWORD as BROKER_PASSWORD
from tests.support.mosquitto import USERNAME, TlsMosquitto

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.mqtt]



@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("mqtt", "connectors.mqtt")]
    return app_config


@pytest.fixture(scope="module")
def tls_broker() -> Iterator[TlsMosquitto]:
    broker = TlsMosquitto().start()
    yield broker
    broker.stop()


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    with live_hub_with_admin(app) as url:
        yield url


@pytest.mark.parametrize("size", list(WIDTHS))
def test_an_admin_sets_up_tls_and_reads_why_the_test_fails(chromium: Any, hub_url: str, tls_broker: TlsMosquitto,
                                                           tmp_path: Path, size: str) -> None:
    with open_tab(chromium, size, prefix="mqtt-tls", shots=screenshot_dir(tmp_path), timeout_ms=10_000) as page:
        sign_in(page, hub_url, "ada")
        page.goto(f"{hub_url}/admin/instances/new?connector=mqtt")
        page.fill("[name=slug]", "line3")
        page.fill("[name='config.broker_url']", tls_broker.url(tls_broker.password_port))
        page.fill("[name='config.topics']", '["plant-a/+/+/alarm"]')
        page.fill("[name='config.username']", USERNAME)
        page.fill("[name='config.password']", BROKER_PASSWORD)
        page.fill("[name='config.tls_ca_file']", str(tmp_path / "no-such-ca.pem"))
        page.get_by_role("button", name=re.compile("Create|Save|Add")).first.click()
        error = page.locator("#config-tls_ca_file").locator("xpath=..").inner_text()
        assert "Cannot read" in error and "No such file or directory" in error, error
        page.shot("form-error", focus="#config-tls_ca_file")

        # A CA file that exists but is not the broker's: saved, and the Test says why it fails.
        page.fill("[name='config.tls_ca_file']", str(tls_broker.files.other_ca))
        page.fill("[name='config.password']", BROKER_PASSWORD)  # secrets are never sent back to the form
        page.get_by_role("button", name=re.compile("Create|Save|Add")).first.click()
        page.wait_for_url(re.compile(r".*/admin/instances/line3$"))
        page.get_by_role("button", name="Test connection").click()
        flash = page.locator(".flash.error").first.inner_text()
        assert "Connection test failed: authentication: Server certificate not trusted" in flash, flash
        assert f"tls_ca_file ({tls_broker.files.other_ca}) does not hold the CA that signed it" in flash
        page.shot("test-failed")

        page.fill("[name='config.tls_ca_file']", str(tls_broker.files.ca))
        page.fill("[name='config.password']", BROKER_PASSWORD)  # the CA changed: the password is asked again
        page.get_by_role("button", name=re.compile("Save")).first.click()
        page.wait_for_url(re.compile(r".*/admin/instances/line3$"))
        page.get_by_role("button", name="Test connection").click()
        passed = page.locator(".flash.success").first.inner_text()
        assert f"Connection test passed: connected to mqtts://localhost:{tls_broker.password_port}" in passed, passed
        page.shot("test-passed")
