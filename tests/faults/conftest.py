"""Fault tests: real services, real processes, things killed on purpose. Bounded in time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from tests.support.services import need_redis


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    prefix = f"fault{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, LOCK_SECONDS=3, OUTBOX_BACKOFF_SECONDS=0.05,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.5, OUTBOX_BATCH_SIZE=5, PLUGINS=[("webhook", "connectors.webhook")])
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def process_env(app_config: dict[str, Any]) -> dict[str, str]:
    """Environment for hub processes that share the test's database, Redis and keys."""
    from tests.support.processes import hub_env

    names = ("DATABASE_URL", "REDIS_URL", "QUEUE_PREFIX", "LOCK_SECONDS", "OUTBOX_BACKOFF_SECONDS",
             "OUTBOX_BACKOFF_MAX_SECONDS", "OUTBOX_BATCH_SIZE", "SECRET_KEY")
    from pathlib import Path

    return hub_env(Path(app_config["INSTANCE_PATH"]), **{f"HUB_{name}": str(app_config[name]) for name in names})
