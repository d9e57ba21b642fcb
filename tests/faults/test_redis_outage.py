"""Redis stopped and started while events arrive and deliveries are due.

With the job queue away the hub still accepts events (they and their outbox rows live in
the database); views that need the queue answer 503 with Retry-After. When Redis returns,
the scheduler hands the waiting outbox rows to the workers and every update reaches the
receiver once: nothing lost, nothing doubled.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hub import create_app
from tests.support.jobs import drain
from tests.support.plugin_fixtures import post_event
from tests.support.private_services import PrivateProcess, private_redis
from tests.support.sink import running_sink

SECRET = "outage-token-xxxxxxxxxx"
BEFORE, DURING, AFTER = 5, 10, 5

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_server() -> Iterator[PrivateProcess]:
    folder = Path(tempfile.mkdtemp(prefix="hub-redis-"))
    server = private_redis(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def outage_app(app_config: dict[str, Any], redis_server: PrivateProcess) -> Iterator[Flask]:
    app_config["REDIS_URL"] = f"redis://127.0.0.1:{redis_server.port}/0"
    app = create_app(app_config)
    yield app
    app.extensions["hub"].db.dispose()


def test_redis_outage_delays_delivery_and_loses_nothing(outage_app: Flask, redis_server: PrivateProcess,
                                                        api: Any) -> None:
    with running_sink() as sink:
        # Events come in through one instance and every change goes out through another (an
        # instance never gets its own changes echoed back).
        for slug, config in (("line", {"idempotency_field": "id"}),
                             ("partner", {"push_url": sink.url, "push_scope": "all"})):
            created = api.post("/api/v1/admin/instances", json={
                "connector": "webhook", "slug": slug, "enabled": True,
                "config": {"auth": "token", "secret": SECRET, **config}})
            assert created.status_code == 201, created.json

        def post(n: int) -> None:
            response = post_event(outage_app, SECRET, {"id": f"evt-{n}", "title": f"Chiller alarm {n}"},
                                  slug="line")
            assert response.status_code in (200, 201, 202), (n, response.status_code, response.get_data(True))

        for n in range(BEFORE):
            post(n)
        drain(outage_app, until=lambda: len(sink.applied) >= BEFORE)

        redis_server.stop()
        for n in range(BEFORE, BEFORE + DURING):
            post(n)  # accepted with the queue away: the database holds the event and its outbox row
        jobs = api.get("/api/v1/admin/jobs")
        assert jobs.status_code == 503 and jobs.headers.get("Retry-After"), jobs.get_data(True)
        assert jobs.headers["Content-Type"].startswith("application/problem+json")
        assert api.get("/healthz").status_code == 200

        redis_server.start()
        for n in range(BEFORE + DURING, BEFORE + DURING + AFTER):
            post(n)
        total = BEFORE + DURING + AFTER
        drain(outage_app, until=lambda: len(sink.applied) >= total, timeout=60)

        assert len(sink.applied) == total, "an update was lost"
        titles = sorted(body["ticket"]["title"] for body in sink.bodies() if body["event"] == "create")
        assert titles == sorted(f"Chiller alarm {n}" for n in range(total)), "a ticket was lost or doubled"
        incidents = api.get("/api/v1/incidents?limit=100").json["items"]
        assert len(incidents) == total
        statuses = {m["status"] for m in api.get("/api/v1/admin/outbox?limit=500").json}
        assert statuses == {"delivered"}
