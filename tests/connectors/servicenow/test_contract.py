"""The ServiceNow connector passes the connector contract suite against the Table API double."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.servicenow.connector import ServiceNowConnector
from hub.testing import connector_test_class
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture


def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    server = request.getfixturevalue("servicenow_server")
    for n in range(len(server.fake.records("incident")), 3):  # the config is read more than once
        server.fake.create_record("incident", short_description=f"Contract record {n}", impact="2", urgency="3")
    return {"instance_url": server.url, "username": "admin", "password": "admin", "page_size": 2}


TestServiceNowContract = connector_test_class(
    ServiceNowConnector, config=config,
    bad_config={"instance_url": "not a url", "tables": ["problem"]},
)
