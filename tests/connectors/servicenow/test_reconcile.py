"""The reconcile job against the ServiceNow double: what incremental polls cannot see
(a record committed behind the overlap window, a delivery given up as a dead letter) is
found and repaired, the cursor stays, and a reconcile with nothing to repair changes
nothing on either side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from hub.jobs.polling import run_poll
from hub.models import ConnectorInstance, OutboxMessage
from tests.connectors.servicenow.test_sync import Server, add_instance, incidents, only_incident
from tests.connectors.servicenow.test_sync import app_config as app_config
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.support.jobs import drain


def state_of(runtime: Any, instance: int) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return dict(session.get(ConnectorInstance, instance).state or {})


def test_a_record_behind_the_overlap_window_is_found_and_the_cursor_stays(
        api: Any, runtime: Any, servicenow_server: Server) -> None:  # noqa: F811
    fake = servicenow_server.fake
    instance = add_instance(api, servicenow_server, tables=["incident"])
    fake.create_record("incident", short_description="Seen by the poll")
    assert run_poll(runtime, instance)["created"] == 1
    cursor = state_of(runtime, instance)
    # Committed late, stamped an hour back: far behind the 120 s overlap.
    now = fake.clock.now()
    fake.clock.set(now - timedelta(hours=1))
    fake.create_record("incident", short_description="Committed late")
    fake.clock.set(now)
    assert run_poll(runtime, instance)["created"] == 0  # the incremental poll cannot see it

    result = run_poll(runtime, instance, kind="reconcile")

    assert (result["status"], result["created"], result["repaired"]) == ("ok", 1, 0), result
    assert sorted(item["title"] for item in incidents(api)) == ["Committed late", "Seen by the poll"]
    assert state_of(runtime, instance) == cursor


def test_a_dead_lettered_update_is_sent_again(api: Any, app: Any, runtime: Any,
                                              servicenow_server: Server) -> None:  # noqa: F811
    fake = servicenow_server.fake
    instance = add_instance(api, servicenow_server, tables=["incident"])
    sys_id = fake.create_record("incident", short_description="Fan noisy")["sys_id"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    fake.fail_next(3, status=500)
    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "Fan in room 4 noisy"}).status_code == 200
    with runtime.db.transaction() as session:  # the delivery was given up (as after its last attempt)
        session.execute(update(OutboxMessage).values(status="dead"))
    fake.clear_faults()
    assert fake.record("incident", sys_id)["short_description"] == "Fan noisy"

    result = run_poll(runtime, instance, kind="reconcile")
    drain(app)

    assert result["repaired"] == 1, result
    assert fake.record("incident", sys_id)["short_description"] == "Fan in room 4 noisy"
    with runtime.db.reading() as session:
        reasons = [m.payload.get("reason") for m in session.scalars(select(OutboxMessage)
                                                                     .where(OutboxMessage.status == "delivered"))]
    assert reasons == ["reconcile: short_description"]
    # Both sides agree now: the next reconcile has nothing to repair.
    assert run_poll(runtime, instance, kind="reconcile")["repaired"] == 0


def test_a_reconcile_with_nothing_to_repair_changes_nothing(api: Any, app: Any, runtime: Any,
                                                            servicenow_server: Server) -> None:  # noqa: F811
    fake = servicenow_server.fake
    instance = add_instance(api, servicenow_server, tables=["incident"])
    for n in range(3):
        fake.create_record("incident", short_description=f"Leak {n}")
    run_poll(runtime, instance)
    drain(app)
    audit = {item["ref"]: api.get(f"/api/v1/incidents/{item['ref']}/audit?limit=500").json for item in incidents(api)}
    fake.clear_received()

    result = run_poll(runtime, instance, kind="reconcile")
    drain(app)

    # Everything read again, each version recognised by its key: nothing created, updated or repaired.
    assert (result["fetched"], result["skipped"], result["created"], result["updated"], result["repaired"]) == (
        3, 3, 0, 0, 0), result
    assert [r.method for r in fake.received()] == ["GET"] * len(fake.received())  # read only, wrote nothing
    assert {ref: api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json for ref in audit} == audit


def test_the_scheduler_queues_one_reconcile_per_cron_window(api: Any, app: Any, runtime: Any,
                                                            servicenow_server: Server) -> None:  # noqa: F811
    from datetime import UTC, datetime

    from hub.jobs.scheduler import Scheduler

    add_instance(api, servicenow_server, tables=["incident"])
    runtime.settings["SYNC_RECONCILE_CRON"] = "17 3 * * *"
    scheduler = Scheduler(runtime, tick_seconds=0.05)
    runtime.clock = lambda: datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    scheduler.step()  # first sight: no reconcile the moment the hub starts
    drain(app)
    runtime.clock = lambda: datetime(2026, 11, 23, 3, 20, tzinfo=UTC)
    scheduler.step()
    scheduler.step()  # the same window again: queued once
    drain(app)
    runtime.clock = lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    scheduler.step()
    drain(app)
    kinds = [run["kind"] for run in api.get("/api/v1/admin/instances/sn/runs").json]
    assert kinds.count("reconcile") == 1, kinds
