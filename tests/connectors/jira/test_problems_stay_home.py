"""A problem is the hub's own (issue 22 point 2): a Jira instance that gives every hub ticket an
issue (create_remote) syncs incidents and changes, and never turns a problem into a change."""

from __future__ import annotations

from connectors.jira.connector import JiraConnector
from hub.sdk.values import InstanceInfo

CONFIG = {"site_url": "https://jira.invalid", "email": "hub@example.com", "api_token": "t", "project": "ITSM",
          "incident_types": ["Incident"], "change_types": ["Change"], "create_remote": True}


def connector() -> JiraConnector:
    instance = InstanceInfo(id=1, slug="jira", name="Jira", connector="jira", enabled=True, department=None,
                            config=CONFIG)
    return JiraConnector(instance=instance, config=CONFIG)


def test_each_kind_maps_to_its_own_issue_types_and_a_problem_to_none() -> None:
    jira = connector()
    assert jira.types_of("incident") == ["Incident"] and jira.types_of("change") == ["Change"]
    assert jira.types_of("problem") == []
