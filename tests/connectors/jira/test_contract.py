"""The Jira connector passes the connector contract suite against the Jira Cloud double."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.jira.connector import JiraConnector
from hub.testing import connector_test_class
from tests.fakes.fixtures import jira_server  # noqa: F401 - a fixture


def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    server = request.getfixturevalue("jira_server")
    for n in range(len(server.fake.issues()), 3):  # the config is read more than once
        server.fake.create_issue("ITSM", f"Contract issue {n}", issuetype="Incident", priority="High")
    return {"site_url": server.url, "email": "hub@example.com", "api_token": "jira-token", "project": "ITSM",
            "page_size": 2}


TestJiraContract = connector_test_class(
    JiraConnector, config=config,
    bad_config={"site_url": "not a url", "project": "two words", "incident_types": []},
)
