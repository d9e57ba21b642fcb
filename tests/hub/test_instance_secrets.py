"""Stored connector secrets stay write-only (D2): re-pointing an instance asks for them again."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

PASSWORD = "SN-SUPER-SECRET-pw-44"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("servicenow", "connectors.servicenow")]
    return app_config


@pytest.fixture
def listener() -> Iterator[list[str]]:
    """An attacker's server that writes down any Authorization header it is sent."""
    heard: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            heard.append(self.headers.get("Authorization", ""))
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    heard.append(f"http://127.0.0.1:{server.server_address[1]}/")
    yield heard
    server.shutdown()
    server.server_close()


def _servicenow(api: Any) -> None:
    created = api.post("/api/v1/admin/instances", json={
        "connector": "servicenow", "slug": "sn1",
        "config": {"instance_url": "http://127.0.0.1:1/", "username": "snuser", "password": PASSWORD}})
    assert created.status_code == 201, created.json


def test_pointing_an_instance_elsewhere_does_not_send_it_the_stored_password(api: Any, listener: list[str]) -> None:
    _servicenow(api)
    url = listener.pop(0)
    moved = api.patch("/api/v1/admin/instances/sn1", json={"config": {
        "instance_url": url, "username": "snuser", "password": "********"}})
    assert moved.status_code == 422, moved.json
    assert "instance_url changed" in moved.json["errors"]["config.password"][0]
    assert "needs the secrets again (password)" in moved.json["detail"]
    api.post("/api/v1/admin/instances/sn1/test")
    assert listener == []  # nothing reached the new address
    assert api.get("/api/v1/admin/instances/sn1").json["config"]["instance_url"] == "http://127.0.0.1:1/"


def test_a_new_username_also_needs_the_password_again(api: Any) -> None:
    _servicenow(api)
    renamed = api.patch("/api/v1/admin/instances/sn1", json={"config": {
        "instance_url": "http://127.0.0.1:1/", "username": "someone-else", "password": "********"}})
    assert renamed.status_code == 422 and "username changed" in renamed.json["errors"]["config.password"][0]


def test_secrets_are_kept_while_the_destination_stays_and_replaced_when_entered(api: Any, runtime: Any) -> None:
    _servicenow(api)
    same = api.patch("/api/v1/admin/instances/sn1", json={"config": {
        "instance_url": "http://127.0.0.1:1/", "username": "snuser", "password": "********", "page_size": 50}})
    assert same.status_code == 200, same.json
    moved = api.patch("/api/v1/admin/instances/sn1", json={"config": {
        "instance_url": "http://127.0.0.1:2/", "username": "snuser", "password": "a-new-password"}})
    assert moved.status_code == 200, moved.json
    from hub.plugins.instances import get_instance

    with runtime.db.Session() as session:
        assert runtime.secrets.open(get_instance(session, "sn1").secrets)["password"] == "a-new-password"


def test_the_webhook_push_address_is_a_destination_of_its_secret(api: Any) -> None:
    created = api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "shop", "config": {
        "secret": "0123456789abcdef0123", "push_url": "http://127.0.0.1:1/a"}})
    assert created.status_code == 201
    kept = api.patch("/api/v1/admin/instances/shop", json={"config": {
        "secret": "********", "push_url": "http://127.0.0.1:1/a", "tolerance": 120}})
    assert kept.status_code == 200
    moved = api.patch("/api/v1/admin/instances/shop", json={"config": {
        "secret": "********", "push_url": "http://127.0.0.1:9/b"}})
    assert moved.status_code == 422 and "push_url changed" in moved.json["errors"]["config.secret"][0]


@pytest.mark.parametrize(("slug", "module", "expected"), [
    ("servicenow", "connectors.servicenow", {"instance_url", "username"}),
    ("jira", "connectors.jira", {"site_url", "email"}),
    ("rt", "connectors.rt", {"url", "username"}),
    ("email", "connectors.email", {"host", "port", "security", "username", "ca_file", "smtp_host", "smtp_port",
                                   "smtp_security", "smtp_username"}),
    ("mqtt", "connectors.mqtt", {"broker_url", "username", "tls_ca_file", "tls_cert_file", "tls_key_file",
                                 "protocol", "http_auth"}),
    ("opcua", "connectors.opcua", {"endpoint_url", "username"}),
    ("webhook", "connectors.webhook", {"push_url", "auth"}),
])
def test_each_built_in_connector_names_where_its_secrets_go(slug: str, module: str, expected: set[str]) -> None:
    import importlib

    from hub.plugins.instances import secret_targets

    package = importlib.import_module(module)
    (cls,) = [cls for cls in package.register_connectors() if cls.slug == slug]
    assert expected <= set(secret_targets(cls))
