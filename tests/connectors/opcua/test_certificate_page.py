"""The OPC UA instance's admin page: the form offers the security settings, saving with
SignAndEncrypt creates the hub's certificate, the page shows it (PEM, SHA-1, SHA-256) with
downloads, and the private key never reaches a page, the API or a download."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask

from connectors.opcua.certificates import make_application_certificate, thumbprint
from tests.hub.ui.conftest import Browser, add_user


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("opcua", "connectors.opcua")]
    return app_config


@pytest.fixture
def as_role(app: Flask) -> Any:
    """``as_role("admin")``: a browser signed in as a new user with that role, as in tests/hub/ui."""
    made: dict[str, Browser] = {}

    def build(role: str) -> Browser:
        if role not in made:
            add_user(app, f"{role}1", role)
            made[role] = Browser(app, f"{role}1")
        return made[role]

    return build


def _stored(app: Flask, slug: str) -> dict[str, Any]:
    from hub.plugins.instances import get_instance

    hub = app.extensions["hub"]
    with hub.db.reading() as session:
        row = get_instance(session, slug)
        return {**row.config, **hub.secrets.open(row.secrets)}


def test_saving_with_security_creates_the_certificate_the_page_shows(app: Flask, as_role: Any, api: Any) -> None:
    admin = as_role("admin")
    form = admin.text("/admin/instances/new?connector=opcua")
    for name in ("security_mode", "security_policy", "trusted_servers", "login", "certificate", "private_key",
                 "user_certificate", "user_private_key"):
        assert f'name="config.{name}"' in form
    assert re.search(r'<textarea[^>]*name="config.certificate"', form)
    assert re.search(r'<input[^>]*type="password"[^>]*name="config.private_key"|'
                     r'<input[^>]*name="config.private_key"[^>]*type="password"', form)

    created = admin.post("/admin/instances/new", {
        "connector": "opcua", "slug": "press", "config.endpoint_url": "opc.tcp://127.0.0.1:4840/",
        "config.security_mode": "SignAndEncrypt", "config.security_policy": "Aes256_Sha256_RsaPss"})
    assert created.status_code == 302, created.get_data(as_text=True)

    stored = _stored(app, "press")
    key_body = stored["private_key"].split("-----")[2].strip().splitlines()[1]
    cert = x509.load_pem_x509_certificate(stored["certificate"].encode())
    der = cert.public_bytes(serialization.Encoding.DER)

    page = admin.text("/admin/instances/press")
    assert "Application certificate" in page
    assert thumbprint(der, "sha1") in page and thumbprint(der, "sha256") in page
    assert "-----BEGIN CERTIFICATE-----" in page
    assert key_body not in page and "PRIVATE KEY-----" not in page

    pem = admin.get("/admin/instances/press/credentials/application-certificate.pem")
    assert pem.status_code == 200
    assert pem.headers["Content-Disposition"] == 'attachment; filename="press-application-certificate.pem"'
    assert pem.get_data(as_text=True) == stored["certificate"]
    raw = admin.get("/admin/instances/press/credentials/application-certificate.der")
    assert raw.status_code == 200 and raw.get_data() == der
    assert admin.get("/admin/instances/press/credentials/private-key.pem").status_code == 404
    assert admin.get("/admin/instances/press/credentials/application-certificate.key").status_code == 404

    shown = api.get("/api/v1/admin/instances/press").get_json()
    assert shown["config"]["private_key"] == "********"
    assert key_body not in str(shown)

    # Saving the page again keeps the pair (the key is write-only and comes back empty),
    # also when the endpoint moves: a private key is never sent, so nothing must be re-entered.
    fields = {f"config.{name}": value for name, value in stored.items()
              if isinstance(value, str) and name not in ("private_key", "user_private_key")}
    fields["config.endpoint_url"] = "opc.tcp://127.0.0.1:4841/"
    saved = admin.post("/admin/instances/press", fields)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    again = _stored(app, "press")
    assert (again["certificate"], again["private_key"]) == (stored["certificate"], stored["private_key"])


def test_a_pasted_pair_is_checked_and_kept(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    cert, key = make_application_certificate()
    other_cert, _ = make_application_certificate()
    base = {"connector": "opcua", "slug": "own", "config.endpoint_url": "opc.tcp://127.0.0.1:4840/",
            "config.security_mode": "Sign"}
    mismatched = admin.post("/admin/instances/new", {**base, "config.certificate": other_cert,
                                                     "config.private_key": key.replace("\n", "")})
    assert mismatched.status_code == 422
    assert "This private key does not belong to the certificate." in mismatched.get_data(as_text=True)

    # A password input drops the line breaks of a pasted key; the hub puts them back.
    created = admin.post("/admin/instances/new", {**base, "config.certificate": cert,
                                                  "config.private_key": key.replace("\n", "")})
    assert created.status_code == 302, created.get_data(as_text=True)
    assert _stored(app, "own")["certificate"] == cert

    bad_trust = admin.post("/admin/instances/own", {"config.endpoint_url": "opc.tcp://127.0.0.1:4840/",
                                                    "config.certificate": cert,
                                                    "config.trusted_servers": "not a thumbprint"})
    assert bad_trust.status_code == 422
    assert "Not a certificate or a SHA-1/SHA-256 thumbprint" in bad_trust.get_data(as_text=True)


def test_an_instance_without_security_has_no_certificate_to_show(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    created = admin.post("/admin/instances/new", {
        "connector": "opcua", "slug": "open", "config.endpoint_url": "opc.tcp://127.0.0.1:4840/"})
    assert created.status_code == 302
    assert "Application certificate</h2>" not in admin.text("/admin/instances/open")
    assert admin.get("/admin/instances/open/credentials/application-certificate.pem").status_code == 404
