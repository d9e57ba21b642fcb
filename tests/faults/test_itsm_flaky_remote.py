"""A remote ITSM tool answering 429, 5xx, timeouts and dropped connections for half the calls.

Both directions through the real outbox and poller: hub tickets pushed to ServiceNow and
remote records polled in. Every ticket ends up exactly once on each side: a timed-out create
(applied remotely, answer lost) is found by its reference, never made twice.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.servicenow.test_sync import add_instance, incidents
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.support.jobs import drain


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("servicenow", "connectors.servicenow")]
    return app_config


def test_half_the_calls_failing_loses_and_duplicates_nothing(api: Any, app: Any, runtime: Any,
                                                            servicenow_server: FakeServer[ServiceNowFake],  # noqa: F811
                                                            ) -> None:
    fake = servicenow_server.fake
    instance = add_instance(api, servicenow_server, create_remote=True, tables=["incident"], page_size=5,
                            timeout_seconds=1)
    for n in range(8):
        fake.create_record("incident", short_description=f"Remote {n}")
    fake.timeout_delay = 1.5  # longer than the connector waits: the client gives up, the write stands
    fake.fail_ratio(0.5, statuses=(429, 500, 503), timeout=True, drop=True, retry_after=0, seed=11)
    refs = []
    for n in range(12):
        response = api.post("/api/v1/incidents", json={"title": f"Hub {n}", "description": "flaky remote"})
        assert response.status_code == 201, response.json
        refs.append(response.json["ref"])

    for _ in range(15):
        run_poll(runtime, instance)
        drain(app, timeout=60)
    fake.clear_faults()
    run_poll(runtime, instance)
    drain(app, timeout=60)

    remote = fake.records("incident")
    titles = sorted(record["short_description"] for record in remote)
    assert titles == sorted([f"Remote {n}" for n in range(8)] + [f"Hub {n}" for n in range(12)])
    assert sorted(r["correlation_id"] for r in remote if r["correlation_id"]) == sorted(refs)
    hub_titles = sorted(item["title"] for item in incidents(api))
    assert hub_titles == titles
