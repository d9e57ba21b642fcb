"""kill -9 of a worker in the middle of a run of deliveries, then a restart.

Every delivery must reach the receiver exactly once in effect (a resend carries the same
Idempotency-Key, which the receiver applies once), none may be lost, and the updates of
each ticket must arrive in the order they were made.
"""

from __future__ import annotations

import threading
from typing import Any

from hub.jobs.delivery import WRITE_GROUP
from hub.jobs.scheduler import Scheduler
from tests.faults.conftest import process_env
from tests.support.jobs import nothing_pending
from tests.support.processes import kill_tree, start_outbound_worker, stop_worker
from tests.support.sink import running_sink
from tests.support.waiting import wait_until

TICKETS, UPDATES = 12, 9


def test_kill_9_mid_delivery_loses_nothing_and_duplicates_nothing(app: Any, api: Any, runtime: Any,
                                                                   app_config: dict[str, Any]) -> None:
    with running_sink() as sink:
        sink.hang_seconds, sink.fail_ratio = 0.0, 0.0
        assert api.post("/api/v1/admin/instances", json={
            "connector": "webhook", "slug": "partner", "enabled": True,
            "config": {"auth": "token", "secret": "partner-secret-123", "push_url": sink.url,
                       "push_scope": "all"}}).status_code == 201
        # The receiver is slow, so the kill lands in the middle of the run.
        original = sink.handle

        def slow(request: Any) -> Any:
            threading.Event().wait(0.01)
            return original(request)

        sink.handle = slow  # type: ignore[method-assign]
        refs = []
        for n in range(TICKETS):
            ref = api.post("/api/v1/incidents", json={"title": f"Ticket {n}"}).json["ref"]
            refs.append(ref)
            for step in range(UPDATES):
                changed = api.patch(f"/api/v1/incidents/{ref}", json={"description": f"{ref} step {step}"})
                assert changed.status_code == 200
        expected = TICKETS * (UPDATES + 1)
        stop = threading.Event()
        scheduler = Scheduler(runtime, tick_seconds=0.2)
        thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True)
        thread.start()
        worker = start_outbound_worker(process_env(app_config))
        try:
            assert sink.wait_for(expected // 3, timeout=60), "no progress before the kill"
            kill_tree(worker.pid)  # the worker and the job it was running
            worker.wait(timeout=30)
            delivered_at_kill = len(sink.applied)
            assert delivered_at_kill < expected, "everything was delivered before the kill; slow the receiver"
            worker = start_outbound_worker(process_env(app_config))
            assert sink.wait_for(expected, timeout=90), f"only {len(sink.applied)} of {expected} arrived"
            # A message the killed job had pushed but not yet marked delivered arrived already: it
            # is sent again (the receiver applies it once) and only then marked.
            wait_until(lambda: nothing_pending(runtime), what="the outbox to be written", timeout=90)
        finally:
            stop.set()
            thread.join(timeout=10)
            stop_worker(worker)
        assert len(sink.applied) == expected  # none lost
        duplicates = len(sink.received) - len(sink.applied)
        assert duplicates <= WRITE_GROUP, duplicates  # resends: at most one unwritten group, and harmless
        for ref in refs:
            steps = [body["changes"]["description"][1] for body in sink.bodies()
                     if body["ticket"]["ref"] == ref and body["event"] == "update"]
            assert steps == [f"{ref} step {step}" for step in range(UPDATES)], (ref, steps)
        statuses = {m["status"] for m in api.get("/api/v1/admin/outbox?limit=500").json}
        assert statuses == {"delivered"}
