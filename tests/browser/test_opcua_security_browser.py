"""The OPC UA certificate exchange from the pages alone, in Chromium at a desktop and a phone
width, against an asyncua server that requires SignAndEncrypt and trusts no client yet:
saving creates the hub's certificate and the page shows it, **Test connection** names the
untrusted server's thumbprint, then that the server refuses the hub, and passes once both
sides trust each other. Long thumbprints must not make the page scroll sideways.

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asyncua import ua
from flask import Flask

from connectors.opcua.certificates import certificate_der, certificate_from_pem, thumbprint
from tests.support.browser import WIDTHS, live_hub_with_admin, open_tab, screenshot_dir, sign_in
from tests.support.opcua_server import OpcUaAlarmServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]



@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("opcua", "connectors.opcua")]
    return app_config


@pytest.fixture
def secured_server() -> Iterator[OpcUaAlarmServer]:
    server = OpcUaAlarmServer(policies=(ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,), trusted_clients=())
    with server:
        yield server


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    with live_hub_with_admin(app) as url:
        yield url


@pytest.mark.parametrize("size", list(WIDTHS))
def test_an_admin_exchanges_certificates_with_a_plant_server(chromium: Any, hub_url: str,
                                                              secured_server: OpcUaAlarmServer, tmp_path: Path,
                                                              size: str) -> None:
    with open_tab(chromium, size, prefix="opcua-security", shots=screenshot_dir(tmp_path), timeout_ms=20_000) as page:
        sign_in(page, hub_url, "ada")
        page.goto(f"{hub_url}/admin/instances/new?connector=opcua")
        page.fill("[name=slug]", "press")
        page.fill("[name='config.endpoint_url']", secured_server.url)
        page.select_option("[name='config.security_mode']", "SignAndEncrypt")
        page.select_option("[name='config.security_policy']", "Basic256Sha256")
        page.get_by_role("button", name=re.compile("Create|Save|Add")).first.click()
        page.wait_for_url(re.compile(r".*/admin/instances/press$"))

        card = page.locator("#credential-application-certificate")
        shown = card.inner_text()
        pem = page.locator("#credential-application-certificate pre").text_content() or ""
        hub_der = certificate_der(certificate_from_pem(pem))
        assert thumbprint(hub_der, "sha1") in shown and thumbprint(hub_der, "sha256") in shown
        assert "Download .pem" in shown and "Download .der" in shown
        page.shot("certificate", focus="#credential-application-certificate")

        page.get_by_role("button", name="Test connection").click()
        flash = page.locator(".flash.error").first.inner_text()
        server_sha256 = thumbprint(secured_server.certificate, "sha256")
        assert "is not trusted: SHA-256 " + server_sha256 in flash, flash
        page.shot("server-untrusted")

        page.fill("[name='config.trusted_servers']", server_sha256)
        page.get_by_role("button", name=re.compile("Save")).first.click()
        page.wait_for_url(re.compile(r".*/admin/instances/press$"))
        page.get_by_role("button", name="Test connection").click()
        flash = page.locator(".flash.error").first.inner_text()
        assert f"The server refused the hub's certificate (SHA-1 {thumbprint(hub_der, 'sha1')})" in flash, flash
        page.shot("hub-refused")

        secured_server.trusted_clients = (hub_der,)  # the server's admin trusts the downloaded certificate
        page.get_by_role("button", name="Test connection").click()
        passed = page.locator(".flash.success").first.inner_text()
        assert "(SignAndEncrypt with Basic256Sha256, anonymous login)" in passed, passed
        page.shot("test-passed")
