"""The RT connector passes the connector contract suite against the REST2 double."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.rt.connector import RTConnector
from hub.testing import connector_test_class
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture


def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    server = request.getfixturevalue("rt_server")
    for n in range(len(server.fake.tickets()), 3):  # the config is read more than once
        ticket = server.fake.create_ticket("General", f"Contract ticket {n}", priority=50, content="Body",
                                           requestor=["alice@example.com"])
        server.fake.correspond(ticket["id"], f"Reply {n}", user="alice@example.com")
    return {"url": server.url, "token": "rt-token", "rt_user": "hub", "page_size": 2}


TestRTContract = connector_test_class(
    RTConnector, config=config,
    bad_config={"url": "not a url", "kind": "problem", "timezone": "Mars/Olympus"},
)
