"""Fixtures of the real-RT suite: one RT per test session, a fresh queue and hub instance per test.

Every module here marks its tests ``rt``. Without RT installed (``.ci/setup-rt.sh``) they skip, or
fail with HUB_TEST_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hub.models import ConnectorInstance
from tests.connectors.rt.test_sync import app_config as app_config  # the rt plugin, a quick outbox backoff
from tests.connectors.rt_real.remote import RTAgent
from tests.support.rt_server import RealRT, need_rt


@pytest.fixture(scope="session")
def real_rt() -> Iterator[RealRT]:
    need_rt()
    server = RealRT().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def agent(real_rt: RealRT) -> RTAgent:
    """RT's root, acting in RT as an RT agent would."""
    return RTAgent(real_rt)


@pytest.fixture
def queue(agent: RTAgent) -> str:
    """A queue of this test's own: polls and counts see nothing of other tests."""
    return agent.create_queue(f"hub-{uuid.uuid4().hex[:10]}")


def add_instance(api: Any, real_rt: RealRT, queue: str, **config: Any) -> int:
    """The hub's RT instance for ``queue``, as an admin adds it; returns its id."""
    body = {"connector": "rt", "slug": "rt", "enabled": True, "poll_interval": 3600,
            "config": {"url": real_rt.url, "token": real_rt.hub_token, "rt_user": real_rt.hub_user,
                       "queue": queue, "timezone": real_rt.timezone, **config}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 201, response.json
    with api.client.application.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(ConnectorInstance.id).where(ConnectorInstance.slug == "rt")))


@pytest.fixture
def instance(api: Any, real_rt: RealRT, queue: str) -> int:
    return add_instance(api, real_rt, queue)
