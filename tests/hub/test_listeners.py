"""Listeners: each message stored (and applied) before it is acknowledged to the source."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hub.app.listeners import listener_instances, run_listener
from tests.support import connectors
from tests.support.waiting import scaled


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("channel", connectors.ChannelPlugin())]
    return app_config


def test_listener_stores_before_acknowledging_and_stops(api: Any, runtime: Any) -> None:
    connectors.CHANNELS["line"] = [{"seq": n, "title": "Jam", "key": "filler-2/E101"} for n in range(1, 6)]
    assert api.post("/api/v1/admin/instances", json={"connector": "channel", "slug": "line", "enabled": True,
                                                     "config": {"channel": "line"}}).status_code == 201
    assert listener_instances(runtime) == {"line": 1}
    stop = threading.Event()
    thread = threading.Thread(target=run_listener, args=(runtime, "line", stop))
    thread.start()
    deadline = time.monotonic() + scaled(10)
    while connectors.CHANNELS["line"] and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert connectors.ACKED["line"] == [1, 2, 3, 4, 5]
    (ticket,) = api.get("/api/v1/incidents").json["items"]
    assert ticket["occurrence_count"] == 5
    api.patch("/api/v1/admin/instances/line", json={"enabled": False})
    assert listener_instances(runtime) == {}
