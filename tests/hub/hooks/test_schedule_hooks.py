"""register_schedules: a plugin's periodic job runs once per window, and not while disabled."""

from __future__ import annotations

from typing import Any

import pytest

from hub.hookspecs import hookimpl
from hub.jobs.scheduler import Scheduler
from hub.jobs.schedules import Schedule
from tests.support.jobs import drain
from tests.support.services import need_redis
from tests.support.waiting import wait_until

RUNS: list[str] = []


def tidy_up(label: str = "tidy") -> None:
    RUNS.append(label)


class Housekeeping:
    name = "housekeeping"

    @hookimpl
    def register_schedules(self) -> list[Schedule]:
        return [Schedule(name="housekeeping.tidy", job=f"{__name__}.tidy_up", interval=3600,
                         kwargs={"label": "tidied"})]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    import uuid

    app_config.update(REDIS_URL=need_redis(), QUEUE_PREFIX=f"test{uuid.uuid4().hex[:10]}",
                      PLUGINS=[("housekeeping", Housekeeping())])
    return app_config


def leading_step(scheduler: Any) -> dict[str, Any]:
    """One tick of this scheduler, once it holds the lead: under load the lease can lapse
    while drain() runs, and drain's own scheduler takes it meanwhile."""
    return wait_until(lambda: (answer := scheduler.step()).get("leading") and answer,
                      what="the test's scheduler to hold the lead")


def test_hook_register_schedules(app: Any, api: Any, runtime: Any) -> None:
    RUNS.clear()
    assert "housekeeping.tidy" in runtime.schedules()
    scheduler = Scheduler(runtime, tick_seconds=0.05)
    own = len(runtime.schedules()) - 1  # the hub's own housekeeping schedules
    assert scheduler.step()["schedules"] == own + 1
    assert scheduler.step()["schedules"] == 0  # the same window is not enqueued twice
    drain(app, until=lambda: RUNS == ["tidied"])
    api.patch("/api/v1/admin/plugins/housekeeping", json={"enabled": False})
    runtime.redis.delete(runtime.key("scheduler", "windows"))  # a new window begins
    drain(app)
    assert leading_step(scheduler)["schedules"] == own  # disabled: not enqueued
    drain(app)
    assert RUNS == ["tidied"]


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(ValueError, match="interval or a cron"):
        Schedule(name="x", job="a.b", interval=5, cron="* * * * *")
    with pytest.raises(ValueError, match="not a cron expression"):
        Schedule(name="x", job="a.b", cron="every minute")
