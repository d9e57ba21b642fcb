"""PostgreSQL restarted in the middle of an ingest.

Clients keep posting distinct events through the webhook while the database goes down and
comes back. While it is away every answer is 503 with Retry-After (never a 500); a client
that retries what was refused gets it in; afterwards each event exists once, with exactly
one ticket, and no event or ticket is half-written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from hub import create_app
from hub.app import migrate
from hub.core.db import Database
from hub.models import InboundEvent, Ticket
from tests.support.live import live_server
from tests.support.private_services import PrivatePostgres
from tests.support.waiting import scaled

SECRET = "restart-token-xxxxxxxxxx"
CLIENTS, EVENTS_PER_CLIENT = 4, 60

pytestmark = pytest.mark.postgres


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().init()
    yield server
    server.close()


@pytest.fixture
def pg_app(app_config: dict[str, Any], private_pg: PrivatePostgres) -> Iterator[Flask]:
    database = Database(private_pg.url)
    migrate.upgrade(database)
    database.dispose()
    app_config["DATABASE_URL"] = private_pg.url
    app = create_app(app_config)
    yield app
    app.extensions["hub"].db.dispose()


def post_until_accepted(url: str, number: int, answers: list[int], stop_at: float) -> bool:
    """Post one event, retrying on 503 as Retry-After says; False if time ran out."""
    body = {"title": f"Conveyor stop {number}", "id": f"evt-{number}"}
    while time.monotonic() < stop_at:
        try:
            response = requests.post(url, json=body, headers={"X-Hub-Token": SECRET,
                                                              "Idempotency-Key": f"evt-{number}"}, timeout=10)
        except requests.ConnectionError:
            answers.append(-1)
            time.sleep(0.1)
            continue
        answers.append(response.status_code)
        if response.status_code in (200, 201, 202):
            return True
        if response.status_code == 503:
            assert response.headers.get("Retry-After"), "a 503 must say when to retry"
            assert response.headers["Content-Type"].startswith("application/problem+json")
            time.sleep(min(float(response.headers["Retry-After"]), 0.5))
            continue
        raise AssertionError(f"unexpected {response.status_code}: {response.text}")
    return False


def test_postgres_restart_mid_ingest_gives_503_then_loses_and_duplicates_nothing(
        pg_app: Flask, private_pg: PrivatePostgres, api: Any) -> None:
    created = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "line", "enabled": True,
        "config": {"auth": "token", "secret": SECRET, "idempotency_field": "id"}})
    assert created.status_code == 201, created.json
    answers: list[int] = []
    accepted: list[int] = []
    errors: list[BaseException] = []
    with live_server(pg_app) as base:
        url = f"{base}/api/v1/hooks/line"
        stop_at = time.monotonic() + 90

        def client(offset: int) -> None:
            try:
                for n in range(offset, CLIENTS * EVENTS_PER_CLIENT, CLIENTS):
                    if post_until_accepted(url, n, answers, stop_at):
                        accepted.append(n)
                    time.sleep(0.01)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=client, args=(offset,)) for offset in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + scaled(30)
        while len(accepted) < CLIENTS * EVENTS_PER_CLIENT // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        private_pg.stop("fast")
        time.sleep(1.5)  # requests land on a database that is away
        private_pg.start()
        for thread in threads:
            thread.join(timeout=100)
    assert not errors, errors
    assert sorted(accepted) == list(range(CLIENTS * EVENTS_PER_CLIENT)), "some events were never accepted"
    assert 503 in answers, "the restart was not seen by any request"
    assert not [code for code in answers if code >= 500 and code != 503]
    with pg_app.extensions["hub"].db.reading() as session:
        events = session.scalar(select(func.count()).select_from(InboundEvent))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        titles = session.scalars(select(Ticket.title)).all()
        pending = session.scalar(select(func.count()).select_from(InboundEvent)
                                 .where((InboundEvent.status != "applied") | InboundEvent.ticket_id.is_(None)))
    assert events == CLIENTS * EVENTS_PER_CLIENT
    assert tickets == CLIENTS * EVENTS_PER_CLIENT and len(set(titles)) == tickets
    assert pending == 0, "an event was stored without its ticket"


def test_private_postgres_is_separate_from_the_shared_one(private_pg: PrivatePostgres, tmp_path: Path) -> None:
    assert private_pg.port != 5432 and str(private_pg.port) in private_pg.url
