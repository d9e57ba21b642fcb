"""A remote ITSM tool answering 429, 5xx, timeouts and dropped connections for half the calls.

Both directions through the real outbox and poller: hub tickets pushed to ServiceNow and
remote records polled in. Every ticket ends up exactly once on each side: a timed-out create
(applied remotely, answer lost) is found by its reference, never made twice.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hub.jobs.polling import run_poll
from hub.sdk.http import HttpClient
from tests.connectors.servicenow.test_sync import add_instance, incidents
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace, scaled


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("servicenow", "connectors.servicenow")]
    # Loss and duplication are the subject here, not the dead-letter policy (tested on its own):
    # with half the calls failing, eight attempts would dead-letter about one message in 256.
    app_config["OUTBOX_MAX_ATTEMPTS"] = 50
    return app_config


@pytest.fixture(autouse=True)
def quick_inline_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's own waits between retries (1 to 8 s) cut twentyfold: the same retries, less idling."""
    original = HttpClient.__init__

    def init(self: HttpClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.sleep = lambda seconds: time.sleep(seconds / 20)

    monkeypatch.setattr(HttpClient, "__init__", init)


def test_half_the_calls_failing_loses_and_duplicates_nothing(api: Any, app: Any, runtime: Any,
                                                            servicenow_server: FakeServer[ServiceNowFake],  # noqa: F811
                                                            ) -> None:
    fake = servicenow_server.fake
    k = pace()  # the client's timeout and the late answers stretch together on a crowded machine
    instance = add_instance(api, servicenow_server, create_remote=True, tables=["incident"], page_size=5,
                            timeout_seconds=k)
    for n in range(8):
        fake.create_record("incident", short_description=f"Remote {n}")
    fake.timeout_delay = 1.5 * k  # longer than the connector waits: the client gives up, the write stands
    fake.fail_ratio(0.5, statuses=(429, 500, 503), timeout=True, drop=True, retry_after=0, seed=11)
    refs = []
    for n in range(12):
        response = api.post("/api/v1/incidents", json={"title": f"Hub {n}", "description": "flaky remote"})
        assert response.status_code == 201, response.json
        refs.append(response.json["ref"])

    # Poll and deliver until every ticket is on both sides: failed polls leave their cursor,
    # failed deliveries wait for their retry, and nothing is given up.
    deadline = time.monotonic() + scaled(120)
    while True:
        run_poll(runtime, instance)
        drain(app, until=lambda: nothing_pending(runtime), timeout=60)
        if len(incidents(api)) == 20 and len(fake.records("incident")) >= 20:
            break
        assert time.monotonic() < deadline, "the sync did not settle while half the calls failed"
    fake.clear_faults()
    run_poll(runtime, instance)
    drain(app, timeout=60)

    remote = fake.records("incident")
    titles = sorted(record["short_description"] for record in remote)
    assert titles == sorted([f"Remote {n}" for n in range(8)] + [f"Hub {n}" for n in range(12)])
    assert sorted(r["correlation_id"] for r in remote if r["correlation_id"]) == sorted(refs)
    hub_titles = sorted(item["title"] for item in incidents(api))
    assert hub_titles == titles
