"""A push repeated after its first try may have landed: ServiceNow holds the change once.

A work note whose answer was lost, a dead letter replayed after its write had landed, and
the claim a delivery gives back for the messages it did not push.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from hub.jobs.delivery import deliver_lanes
from hub.jobs.polling import run_poll
from hub.models import OutboxMessage
from tests.connectors.servicenow.test_sync import add_instance, only_incident
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace

Server = FakeServer[ServiceNowFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("servicenow", "connectors.servicenow")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def linked(api: Any, runtime: Any, server: Server, **config: Any) -> tuple[str, str]:
    server.fake.user_timezone = "UTC"
    instance = add_instance(api, server, tables=["incident"], **config)
    record = server.fake.create_record("incident", short_description="Scanner on floor 3 offline")
    run_poll(runtime, instance)
    return str(record["sys_id"]), str(only_incident(api)["ref"])


def note(api: Any, ref: str, body: str, visibility: str = "internal") -> None:
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": body, "visibility": visibility}
                    ).status_code == 201


def entries(server: Server, sys_id: str) -> list[tuple[str, str]]:
    return [(row["element"], row["value"]) for row in server.fake.journal(sys_id) if row["sys_created_by"] == "admin"]


def test_a_work_note_whose_answer_was_lost_is_added_once(api: Any, app: Any, runtime: Any,
                                                         servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    k = pace()  # timings below stretch together on a crowded machine
    sys_id, ref = linked(api, runtime, server, timeout_seconds=k)
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/incident/[0-9a-f]+$", method="PATCH")

    note(api, ref, "Power cycled the scanner")
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert entries(server, sys_id) == [("work_notes", "Power cycled the scanner")]
    assert len(server.fake.received("PATCH")) == 1  # the repeat read the journal and wrote nothing


@pytest.mark.parametrize("visibility", ["public", "internal"])
def test_a_dead_letter_replayed_after_its_write_landed_adds_nothing(api: Any, app: Any, runtime: Any,
                                                                    servicenow_server: Server,  # noqa: F811
                                                                    visibility: str) -> None:
    server = servicenow_server
    k = pace()  # timings below stretch together on a crowded machine
    sys_id, ref = linked(api, runtime, server, timeout_seconds=k)
    runtime.settings["OUTBOX_MAX_ATTEMPTS"] = 1
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/incident/[0-9a-f]+$", method="PATCH")
    note(api, ref, "Replaced the cable", visibility)
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)
    with runtime.db.reading() as session:
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()

    assert api.post(f"/api/v1/admin/outbox/{dead.id}/replay").status_code == 200
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    element = "comments" if visibility == "public" else "work_notes"
    assert entries(server, sys_id) == [(element, "Replaced the cable")]


def test_messages_behind_a_retry_give_their_claim_back(api: Any, app: Any, runtime: Any,
                                                       servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    sys_id, ref = linked(api, runtime, server)
    # A Retry-After well past this round: the round ends with the head waiting.
    server.fake.fail_next(status=503, retry_after=600, paths=r"/incident/[0-9a-f]+$", method="PATCH")
    note(api, ref, "First")
    note(api, ref, "Second")
    with runtime.db.reading() as session:
        lane = session.scalars(select(OutboxMessage.lane)).first()

    outcome = deliver_lanes(runtime, [lane])

    assert (outcome["retrying"], outcome["delivered"]) == (1, 0)
    with runtime.db.reading() as session:
        attempts = [m.attempts for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert attempts == [1, 0]  # the second was claimed with the first, not pushed, and given back
    with runtime.db.transaction() as session:
        session.execute(update(OutboxMessage).values(next_attempt_at=runtime.now()))
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)
    assert entries(server, sys_id) == [("work_notes", "First"), ("work_notes", "Second")]


def test_the_same_words_said_again_later_land_again_when_a_try_fails(api: Any, app: Any, runtime: Any,
                                                                     servicenow_server: Server) -> None:  # noqa: F811
    """A repeat looks for its earlier copy only among entries made since it was queued."""
    server = servicenow_server
    sys_id, ref = linked(api, runtime, server)
    server.fake.clock.set(datetime.now(UTC) - timedelta(minutes=30))  # the first note, half an hour ago
    note(api, ref, "Checked the cabling")
    drain(app)
    server.fake.clock.set(datetime.now(UTC))
    server.fake.fail_next(status=503, retry_after=None, paths=r"/incident/[0-9a-f]+$", method="PATCH")

    note(api, ref, "Checked the cabling")
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert entries(server, sys_id) == [("work_notes", "Checked the cabling")] * 2
