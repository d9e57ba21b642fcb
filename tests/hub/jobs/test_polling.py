"""Polls: scheduled per instance and window, one at a time, cursors saved with their events."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hub.jobs.locks import Lease
from hub.jobs.polling import lock_key, run_poll, wait_key
from hub.jobs.runs import heartbeat_key
from hub.jobs.scheduler import Scheduler
from tests.hub.jobs.stalled_poll import StallPlugin
from tests.support import connectors
from tests.support.jobs import drain
from tests.support.waiting import scaled


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("feed", connectors.FeedPlugin()), ("stall", StallPlugin())]
    return app_config


@pytest.fixture
def feed(api: Any, request: pytest.FixtureRequest) -> str:
    name = request.node.name
    connectors.FEEDS[name] = [{"id": n, "title": f"Feed item {n}"} for n in range(1, 8)]
    response = api.post("/api/v1/admin/instances", json={"connector": "feed", "slug": "feed", "enabled": True,
                                                         "config": {"feed": name}, "poll_interval": 3600})
    assert response.status_code == 201, response.json
    yield name
    connectors.FEEDS.pop(name, None)
    connectors.CRASH_AFTER.pop(name, None)
    connectors.RATE_LIMITED.pop(name, None)


def runs(api: Any) -> list[dict[str, Any]]:
    return api.get("/api/v1/admin/instances/feed/runs").json  # type: ignore[no-any-return]


def test_a_poll_stores_events_and_records_the_run(api: Any, runtime: Any, feed: str) -> None:
    result = run_poll(runtime, 1)
    assert result["status"] == "ok" and (result["fetched"], result["created"]) == (7, 7)
    (run,) = runs(api)
    assert (run["status"], run["fetched"], run["created"], run["skipped"], run["failed"]) == ("ok", 7, 7, 0, 0)
    connectors.FEEDS[feed].append({"id": 8, "title": "Feed item 8"})
    again = run_poll(runtime, 1)
    # Item 7 came after the last checkpoint (item 6), so it is fetched again and recognised.
    assert (again["fetched"], again["created"], again["skipped"]) == (2, 1, 1)
    assert len(api.get("/api/v1/incidents?limit=50").json["items"]) == 8


def test_a_crash_mid_poll_loses_and_repeats_nothing(api: Any, runtime: Any, feed: str) -> None:
    connectors.CRASH_AFTER[feed] = 5
    failed = run_poll(runtime, 1)
    assert failed["status"] == "failed" and "went away" in failed["error"]
    assert api.get("/api/v1/admin/instances/feed").json["last_error"].startswith("fatal:")
    # Items 1-5 were fetched; the cursor covers up to item 4 (the last checkpoint).
    assert len(api.get("/api/v1/incidents?limit=50").json["items"]) == 4
    connectors.CRASH_AFTER.pop(feed)
    resumed = run_poll(runtime, 1)
    assert resumed["status"] == "ok"
    assert (resumed["fetched"], resumed["created"]) == (3, 3)
    assert len(api.get("/api/v1/incidents?limit=50").json["items"]) == 7
    assert api.get("/api/v1/admin/instances/feed").json["last_error"] is None


def test_one_instance_never_polls_twice_at_once(runtime: Any, feed: str) -> None:
    with Lease(runtime.redis, lock_key(runtime, 1), 30) as held:
        assert held.acquire()
        assert run_poll(runtime, 1)["status"] == "skipped"


def test_scheduler_enqueues_each_window_once(app: Any, api: Any, runtime: Any, feed: str) -> None:
    connectors.POLLS.clear()
    first, second = Scheduler(runtime, tick_seconds=0.05), Scheduler(runtime, tick_seconds=0.05)
    assert first.step()["leading"] is True
    assert second.step() == {"leading": False}
    assert first.step()["polls"] == 0  # same window: nothing more
    drain(app)
    assert [feed] == connectors.POLLS
    assert len(api.get("/api/v1/incidents").json["items"]) == 7


def test_a_remote_s_retry_after_holds_scheduled_polls_back(app: Any, api: Any, runtime: Any, feed: str) -> None:
    connectors.RATE_LIMITED[feed] = 120
    failed = run_poll(runtime, 1)
    assert failed["status"] == "failed"
    assert failed["error"] == "retriable: 429 Too Many Requests; the next poll waits 120 s as the remote asked"
    assert 110_000 < runtime.redis.pttl(wait_key(runtime, 1)) <= 120_000
    connectors.RATE_LIMITED.pop(feed)

    scheduler = Scheduler(runtime, tick_seconds=0.05)
    assert scheduler.step()["polls"] == 0  # inside the wait: not even queued
    runtime.redis.delete(wait_key(runtime, 1))  # the wait is over
    assert scheduler.step()["polls"] == 1
    drain(app)
    assert len(api.get("/api/v1/incidents").json["items"]) == 7


def test_a_retry_after_is_capped_and_other_failures_set_no_wait(runtime: Any, feed: str) -> None:
    connectors.RATE_LIMITED[feed] = 86_400
    run_poll(runtime, 1)
    assert 3_500_000 < runtime.redis.pttl(wait_key(runtime, 1)) <= 3_600_000
    runtime.redis.delete(wait_key(runtime, 1))
    connectors.RATE_LIMITED.pop(feed)
    connectors.CRASH_AFTER[feed] = 1
    assert run_poll(runtime, 1)["status"] == "failed"
    assert not runtime.redis.exists(wait_key(runtime, 1))


def test_a_standby_scheduler_takes_over_when_the_leader_dies(runtime: Any, feed: str) -> None:
    leader, standby = Scheduler(runtime, tick_seconds=0.05), Scheduler(runtime, tick_seconds=0.05)
    assert leader.step()["leading"]
    assert not standby.step()["leading"]
    runtime.redis.delete(runtime.key("scheduler", "leader"))  # the leader's lease expired (it was killed)
    assert standby.step()["leading"]
    assert not leader.step()["leading"]


def test_sync_now_from_the_api(app: Any, api: Any, feed: str) -> None:
    queued = api.post("/api/v1/admin/instances/feed/sync")
    assert queued.status_code == 202 and "-poll-1-now-" in queued.json["job_id"]
    drain(app, until=lambda: any(run["kind"] == "manual" for run in runs(api)))
    assert sum(run["created"] for run in runs(api)) == 7  # with the scheduled poll, if it ran first


def test_scheduler_loop_stops_promptly(runtime: Any) -> None:
    stop = threading.Event()
    scheduler = Scheduler(runtime, tick_seconds=0.05)
    thread = threading.Thread(target=scheduler.run, args=(stop,))
    thread.start()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_job_status_shows_queues_and_outbox(api: Any, feed: str) -> None:
    status = api.get("/api/v1/admin/jobs").json
    assert set(status["queues"]) == {"ingest", "outbound", "sync", "maintenance"}
    assert status["outbox"]["pending"] == 0


# -- runs whose worker died ---------------------------------------------------------------


def _wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout}s")


def _start_stalled_poll(app_config: dict[str, Any], instance_id: int) -> subprocess.Popen[bytes]:
    settings = {key: value for key, value in app_config.items() if key != "PLUGINS"}
    return subprocess.Popen([sys.executable, "-m", "tests.hub.jobs.stalled_poll", json.dumps(settings),
                             str(instance_id)], cwd=Path(__file__).resolve().parents[3],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def test_a_poll_whose_worker_is_killed_is_shown_abandoned_within_a_lease(
        api: Any, runtime: Any, app_config: dict[str, Any], tmp_path: Path) -> None:
    ready = tmp_path / "stalled"
    made = api.post("/api/v1/admin/instances", json={"connector": "stall", "slug": "stall", "enabled": True,
                                                     "config": {"ready_file": str(ready)}, "poll_interval": 3600})
    assert made.status_code == 201, made.json
    process = _start_stalled_poll(app_config, 1)
    try:
        _wait_for(lambda: ready.exists() or process.poll() is not None, "the poll reaching its stall")
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        (run,) = api.get("/api/v1/admin/instances/stall/runs").json
        assert run["status"] == "running"
        scheduler = Scheduler(runtime, tick_seconds=0.05)
        scheduler.step()
        assert api.get("/api/v1/admin/instances/stall/runs").json[0]["status"] == "running"  # alive: left alone
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()

    def reaped() -> dict[str, Any] | None:
        scheduler.step()
        latest = api.get("/api/v1/admin/instances/stall/runs").json[0]
        return latest if latest["status"] != "running" else None

    # Within one lease (LOCK_SECONDS, 5 s here) and a tick; the margin is for a loaded machine.
    run = _wait_for(reaped, "the dead run being marked", timeout=5 + 55)
    assert run["status"] == "abandoned" and run["finished_at"] is not None
    assert run["error"].startswith("abandoned: its worker stopped without finishing")
    assert "run 1 abandoned" in api.get("/api/v1/admin/instances/stall").json["last_error"]
    # What was saved before the kill stays, and the instance may be polled again at once.
    assert len(api.get("/api/v1/incidents").json["items"]) == 2
    assert not runtime.redis.exists(lock_key(runtime, 1))


def test_the_reaper_marks_only_runs_without_a_heartbeat(api: Any, runtime: Any, feed: str) -> None:
    from hub.models import SyncRun

    with runtime.db.transaction() as session:
        dead = SyncRun(instance_id=1, kind="poll", status="running", started_at=runtime.now())
        alive = SyncRun(instance_id=1, kind="poll", status="running", started_at=runtime.now())
        session.add_all([dead, alive])
        session.flush()
        alive_id = alive.id
    runtime.redis.set(heartbeat_key(runtime, alive_id), "test", ex=30)
    assert Scheduler(runtime, tick_seconds=0.05).step()["abandoned_runs"] == 1
    assert [run["status"] for run in runs(api)] == ["running", "abandoned"]
    runtime.redis.delete(heartbeat_key(runtime, alive_id))
    # A run that ends after all (its worker was only cut off from Redis) records its real end.
    assert run_poll(runtime, 1)["status"] == "ok"
    assert runs(api)[0]["status"] == "ok"


def test_a_finished_poll_leaves_no_heartbeat_behind(runtime: Any, feed: str) -> None:
    result = run_poll(runtime, 1)
    assert result["status"] == "ok"
    assert not runtime.redis.exists(heartbeat_key(runtime, result["run_id"]))
    assert Scheduler(runtime, tick_seconds=0.05).step()["abandoned_runs"] == 0
