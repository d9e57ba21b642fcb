"""Fixtures for tests that register plugin objects, and helpers to post events to a token webhook."""

from __future__ import annotations

from typing import Any

import pytest


class Recorder:
    """Collects (hook, arguments) for every call a test plugin receives."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, hook: str, **kwargs: Any) -> None:
        self.calls.append((hook, kwargs))

    def of(self, hook: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == hook]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def with_plugins(app_config: dict[str, Any]) -> Any:
    """``with_plugins(obj, ...)`` registers plugin objects (plus the webhook connector)."""

    def add(*plugins: Any) -> None:
        app_config["PLUGINS"] = [("webhook", "connectors.webhook")] + [
            (getattr(plugin, "name", type(plugin).__name__.lower()), plugin) for plugin in plugins]

    return add


def token_instance(api: Any, slug: str = "feed", **config: Any) -> str:
    secret = "feed-token-" + "x" * 10
    response = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": slug, "enabled": True,
        "config": {"auth": "token", "secret": secret, **config}})
    assert response.status_code == 201, response.json
    return secret


def post_event(app: Any, secret: str, body: dict[str, Any], slug: str = "feed") -> Any:
    return app.test_client().post(f"/api/v1/hooks/{slug}", json=body, headers={"X-Hub-Token": secret})
