"""A push repeated after its first try may have landed: RT holds each reply once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import OutboxMessage
from tests.connectors.rt.test_sync import add_instance, messages, only_incident
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace

Server = FakeServer[RTFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("rt", "connectors.rt")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


@pytest.mark.parametrize(("visibility", "kind"), [("public", "Correspond"), ("internal", "Comment")])
def test_a_dead_letter_replayed_after_its_message_landed_adds_nothing(api: Any, app: Any, runtime: Any,
                                                                      rt_server: Server,  # noqa: F811
                                                                      visibility: str, kind: str) -> None:
    server = rt_server
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, timeout_seconds=k)
    made = server.fake.create_ticket("General", "Shared drive full", requestor=["gina@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    runtime.settings["OUTBOX_MAX_ATTEMPTS"] = 1
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/(correspond|comment)$", method="POST")
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Old backups moved away\r\n",
                                                        "visibility": visibility})
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)
    with runtime.db.reading() as session:
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()

    assert api.post(f"/api/v1/admin/outbox/{dead.id}/replay").status_code == 200
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert [(k, who) for k, who, _ in messages(server.fake, made["id"]) if who == "hub"] == [(kind, "hub")]


def test_the_same_words_said_again_later_land_again_when_a_try_fails(api: Any, app: Any, runtime: Any,
                                                                     rt_server: Server) -> None:  # noqa: F811
    """A repeat looks for its earlier copy only among replies made since it was queued."""
    server = rt_server
    instance = add_instance(api, server)
    made = server.fake.create_ticket("General", "Printer toner low", requestor=["hans@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.clock.set(datetime.now(UTC) - timedelta(minutes=30))  # the first reply, half an hour ago
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Thanks, on it", "visibility": "public"})
    drain(app)
    server.fake.clock.set(datetime.now(UTC))
    server.fake.fail_next(status=503, retry_after=None, paths=r"/correspond$", method="POST")

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Thanks, on it", "visibility": "public"})
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert [text for _, who, text in messages(server.fake, made["id"]) if who == "hub"] == ["Thanks, on it"] * 2
