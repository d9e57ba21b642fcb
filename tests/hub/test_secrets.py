"""Secrets: encrypted at rest, masked in answers, never written to logs; metadata URLs refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text

from hub.sdk.errors import FatalError
from hub.sdk.http import HttpClient, check_url

SECRET = "s3cret-never-to-be-seen-Zq9"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


def test_secrets_are_encrypted_masked_and_not_logged(app: Any, api: Any, runtime: Any,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        created = api.post("/api/v1/admin/instances", json={
            "connector": "webhook", "slug": "shop", "enabled": True,
            "config": {"secret": SECRET, "push_url": "http://127.0.0.1:1/unreachable", "push_scope": "all"}})
        assert created.status_code == 201
        api.post("/api/v1/incidents", json={"title": "makes a delivery that fails"})
        api.get("/api/v1/admin/instances/shop")
        bad = api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "x",
                                                        "config": {"secret": SECRET, "auth": "nope"}})
        assert bad.status_code == 422
    with runtime.db.Session() as session:
        stored = " ".join(str(value) for value in session.execute(
            text("SELECT config, secrets FROM connector_instances")).one())
    assert SECRET not in stored
    assert SECRET not in created.get_data(as_text=True) and SECRET not in bad.get_data(as_text=True)
    assert SECRET not in caplog.text
    assert created.json["config"]["secret"] == "********"


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x",
                                 "http://100.100.100.200/", "file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_link_local_metadata_and_odd_schemes_are_refused(url: str) -> None:
    with pytest.raises(FatalError):
        check_url(url)
    with pytest.raises(FatalError):
        HttpClient().get(url)


def test_private_networks_and_loopback_are_allowed_and_metadata_by_setting() -> None:
    check_url("http://127.0.0.1:8080/x")
    check_url("http://10.1.2.3/x")
    check_url("http://169.254.169.254/", allow_private=True)


def test_secrets_that_no_longer_decrypt_answer_503_with_the_reason(app_config: Any, api: Any, app: Any) -> None:
    from cryptography.fernet import Fernet

    from hub.core.crypto import SecretBox

    created = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "feed", "enabled": True,
        "config": {"auth": "token", "secret": "feed-token-xxxxxxxxxx"}})
    assert created.status_code == 201, created.json
    # The operator replaced the key without keeping the old one.
    app.extensions["hub"].secrets = SecretBox([Fernet.generate_key().decode()])
    app.extensions["hub"].caches.clear()
    response = app.test_client().post("/api/v1/hooks/feed", json={"title": "x"},
                                      headers={"X-Hub-Token": "feed-token-xxxxxxxxxx"})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json["type"].endswith("secrets-unreadable") and "HUB_ENCRYPTION_KEYS" in response.json["detail"]
