"""The MQTT instance's TLS settings are checked when saved: each problem with a certificate,
key or CA file is reported against its field, in words, in the API and on the admin form.
No broker is needed; tests/connectors/mqtt/test_tls.py connects to a real one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.hub.ui.conftest import Browser, add_user
from tests.support.mosquitto import KEY_PASSWORD, TlsFiles, make_files

BROKER = "mqtts://broker.plant.test:8883"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_files(tmp_path_factory.mktemp("tls"))


def save(api: Any, **config: Any) -> Any:
    return api.post("/api/v1/admin/instances", json={
        "connector": "mqtt", "slug": "line3", "config": {"broker_url": BROKER, "topics": ["plant/#"], **config}})


def errors(api: Any, **config: Any) -> dict[str, list[str]]:
    response = save(api, **config)
    assert response.status_code == 422, response.json
    return {name.removeprefix("config."): messages for name, messages in response.json["errors"].items()}


def test_good_tls_settings_are_saved_and_the_key_password_is_a_secret(api: Any, files: TlsFiles) -> None:
    response = save(api, tls_ca_file=str(files.ca), tls_cert_file=str(files.client.cert),
                    tls_key_file=str(files.client_encrypted_key), tls_key_password=KEY_PASSWORD,
                    username="line-hub", password="pw")
    assert response.status_code == 201, response.json
    config = api.get("/api/v1/admin/instances/line3").json["config"]
    assert (config["tls_key_password"], config["password"]) == ("********", "********")
    assert config["tls_ca_file"] == str(files.ca) and "tls_insecure" not in config


def test_missing_and_unreadable_files_are_named(api: Any, files: TlsFiles, tmp_path: Path) -> None:
    found = errors(api, tls_ca_file=str(tmp_path / "nope.pem"))
    assert found == {"tls_ca_file": [f"Cannot read {tmp_path / 'nope.pem'}: No such file or directory."]}
    assert errors(api, tls_ca_file=str(tmp_path)) == {
        "tls_ca_file": [f"Cannot read {tmp_path}: Is a directory."]}
    der = tmp_path / "ca.der"
    der.write_bytes(b"\x30\x82\x01\x0a binary")
    (message,) = errors(api, tls_ca_file=str(der))["tls_ca_file"]
    assert message.startswith(f"{der} holds no PEM certificate") and "openssl x509 -inform der" in message
    (message,) = errors(api, tls_ca_file=str(files.client.key))["tls_ca_file"]
    assert "holds no PEM certificate" in message  # a key where the CA belongs


def test_a_client_certificate_needs_its_key_and_the_right_password(api: Any, files: TlsFiles) -> None:
    cert = str(files.client.cert)
    assert errors(api, tls_cert_file=cert) == {
        "tls_key_file": [f"Needed: {cert} holds no private key, so name the key's file."]}
    assert errors(api, tls_key_file=str(files.client.key)) == {
        "tls_key_file": ["A key file needs a client certificate (tls_cert_file)."]}
    assert errors(api, tls_cert_file=cert, tls_key_file=str(files.client_encrypted_key)) == {
        "tls_key_password": ["The key is encrypted: enter its password."]}
    assert errors(api, tls_cert_file=cert, tls_key_file=str(files.client_encrypted_key),
                  tls_key_password="not-it") == {
        "tls_key_password": ["Wrong password for the key (or the key file is damaged)."]}
    assert errors(api, tls_cert_file=cert, tls_key_file=str(files.stranger.key)) == {
        "tls_key_file": ["This key does not belong to the certificate in tls_cert_file."]}
    (message,) = errors(api, tls_cert_file=str(files.client.key), tls_key_file=str(files.client.key))[
        "tls_cert_file"]
    assert "holds no PEM certificate" in message
    (message,) = errors(api, tls_cert_file=cert, tls_key_file=cert)["tls_key_file"]
    assert "holds no PEM private key" in message


def test_a_certificate_with_its_key_in_one_file_is_enough(api: Any, files: TlsFiles, tmp_path: Path) -> None:
    both = tmp_path / "client-with-key.pem"
    both.write_bytes(files.client.cert.read_bytes() + files.client.key.read_bytes())
    assert save(api, tls_cert_file=str(both)).status_code == 201


def test_tls_files_without_mqtts_are_refused(api: Any, files: TlsFiles) -> None:
    found = errors(api, broker_url="mqtt://broker.plant.test:1883", tls_ca_file=str(files.ca))
    assert found == {"tls_ca_file": ["Used only with TLS: make the broker URL mqtts://host:8883, or clear this."]}


def test_verification_cannot_be_switched_off(api: Any, files: TlsFiles) -> None:
    (message,) = errors(api, tls_insecure=True)["tls_insecure"]
    assert message.startswith("Removed: the broker's certificate is always verified.")
    assert "tls_ca_file" in message
    # An instance saved before (with the old default, off) still loads, and is saved without it.
    response = save(api, tls_insecure=False)
    assert response.status_code == 201, response.json
    assert "tls_insecure" not in api.get("/api/v1/admin/instances/line3").json["config"]


def test_the_admin_form_offers_the_tls_settings_and_shows_their_errors(app: Any, files: TlsFiles) -> None:
    add_user(app, "admin1", "admin")
    admin = Browser(app, "admin1")
    html = admin.text("/admin/instances/new?connector=mqtt")
    for name in ("tls_ca_file", "tls_cert_file", "tls_key_file", "tls_key_password", "username", "password"):
        assert f'name="config.{name}"' in html, name
    assert 'type="password" id="config-tls_key_password"' in html
    assert "CA file (TLS)" in html and "always verified" in html
    assert "tls_insecure" not in html
    bad = admin.post("/admin/instances/new", {
        "connector": "mqtt", "slug": "line3", "config.broker_url": BROKER, "config.topics": '["plant/#"]',
        "config.tls_cert_file": str(files.client.cert), "config.tls_key_file": str(files.client_encrypted_key)})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422, page
    assert "The key is encrypted: enter its password." in page
