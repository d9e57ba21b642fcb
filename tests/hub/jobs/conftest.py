"""Jobs tests run against a real Redis (the machine's, or HUB_TEST_REDIS_URL) with keys of their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from tests.support.services import need_redis
from tests.support.sink import Sink, running_sink


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    prefix = f"test{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, OUTBOX_BACKOFF_SECONDS=0.01,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=5,
                      PLUGINS=[("webhook", "connectors.webhook")])
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as receiver:
        yield receiver


SECRET = "secret-of-the-partner-system"


def add_push_instance(api: Any, sink: Sink, *, slug: str = "partner", scope: str = "all") -> dict[str, Any]:
    response = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": slug, "enabled": True,
        "config": {"auth": "token", "secret": SECRET, "push_url": sink.url, "push_scope": scope,
                   "idempotency_field": "id"}})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]
