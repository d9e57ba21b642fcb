"""A push repeated after its first try may have landed: Jira holds each comment once.

Each comment the hub posts carries the outbox message that posted it as an entity
property, so a repeat finds its own earlier copy, and no other comment with the same words.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import OutboxMessage
from tests.connectors.jira.test_sync import add_instance, new_issue, only_incident, remote_comments
from tests.fakes.fixtures import jira_server  # noqa: F401 - a fixture
from tests.fakes.jira import JiraFake
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace

Server = FakeServer[JiraFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("jira", "connectors.jira")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def linked(api: Any, runtime: Any, server: Server, *, timeout_seconds: int = 30) -> tuple[str, str]:
    instance = add_instance(api, server, timeout_seconds=timeout_seconds)
    key = new_issue(server, "Wi-Fi in meeting room 4 drops")["key"]
    run_poll(runtime, instance)
    return str(key), str(only_incident(api)["ref"])


def comment(api: Any, ref: str, body: str) -> None:
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": body, "visibility": "public"}
                    ).status_code == 201


def test_the_same_words_twice_land_twice_even_when_a_try_fails(api: Any, app: Any, runtime: Any,
                                                               jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    key, ref = linked(api, runtime, server)
    comment(api, ref, "Thanks, checking")
    drain(app)
    server.fake.fail_next(status=503, retry_after=None, paths=r"/comment$", method="POST")

    comment(api, ref, "Thanks, checking")  # said again, later; its first try fails, the repeat looks first
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert remote_comments(server, key) == [("Thanks, checking", False, "hub@example.com")] * 2


def test_a_comment_whose_answer_was_lost_is_posted_once(api: Any, app: Any, runtime: Any,
                                                        jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    k = pace()  # the client's timeout and the late answer stretch together on a crowded machine
    key, ref = linked(api, runtime, server, timeout_seconds=k)
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/comment$", method="POST")

    comment(api, ref, "Rebooted the access point")
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert remote_comments(server, key) == [("Rebooted the access point", False, "hub@example.com")]
    assert len(server.fake.received("POST", r"/comment$")) == 1


def test_a_dead_letter_replayed_after_its_comment_landed_adds_nothing(api: Any, app: Any, runtime: Any,
                                                                      jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    k = pace()
    key, ref = linked(api, runtime, server, timeout_seconds=k)
    runtime.settings["OUTBOX_MAX_ATTEMPTS"] = 1
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/comment$", method="POST")
    comment(api, ref, "The access point was replaced")
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)
    with runtime.db.reading() as session:
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()

    assert api.post(f"/api/v1/admin/outbox/{dead.id}/replay").status_code == 200
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert remote_comments(server, key) == [("The access point was replaced", False, "hub@example.com")]
