"""The hub's own writes and what Jira does with them by itself.

A JSM project's automation may move a request when an agent comments ("transition on
comment"), and the workflow sets the resolution on the way to Done. Both are the hub's own
doing when the hub wrote: never a Jira edit, never a conflict.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import ExternalLink
from tests.connectors.jira.test_sync import add_instance, new_issue, only_incident
from tests.fakes.fixtures import jira_server  # noqa: F401 - a fixture
from tests.fakes.jira import JiraFake
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain

Server = FakeServer[JiraFake]

TRANSITION_ON_COMMENT = {"on": ["reply"], "field": "status", "to": "In Progress", "when": ["To Do"]}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("jira", "connectors.jira")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def conflicts(api: Any, ref: str) -> list[dict[str, Any]]:
    return [a for a in api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json if a["action"] == "sync_conflict"]


def test_reply_and_resolve_on_a_new_request_ends_done_on_both_sides(api: Any, app: Any, runtime: Any,
                                                                   jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    server.fake.add_comment_transition("To Do", "In Progress")
    instance = add_instance(api, server, write_effects=[TRANSITION_ON_COMMENT])
    key = new_issue(server, "Laptop will not boot")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Replaced the SSD", "visibility": "public"})
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved"}).status_code == 200
    drain(app)

    assert server.fake.issue(key)["status"] == "Done"
    run_poll(runtime, instance)
    drain(app)
    run_poll(runtime, instance)

    assert only_incident(api)["status"] == "resolved"
    assert server.fake.issue(key)["status"] == "Done"
    assert not conflicts(api, ref)


def test_the_resolution_a_transition_sets_is_no_jira_edit(api: Any, app: Any, runtime: Any,
                                                          jira_server: Server) -> None:  # noqa: F811
    """A rule reads the resolution into the category: the hub's own resolve sets it in Jira,
    which is no remote edit; an agent's resolution is."""
    server = jira_server
    rules = [{"field": "title", "remote": "summary"},
             {"field": "status", "remote": "status", "values_in": {"To Do": "new", "In Progress": "in_progress",
                                                                    "Done": "resolved"}},
             {"field": "category", "remote": "resolution", "direction": "in"}]
    instance = add_instance(api, server, field_map=rules)
    key = new_issue(server, "Badge printer offline")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved"}).status_code == 200
    drain(app)
    with runtime.db.reading() as session:
        assert session.scalars(select(ExternalLink)).one().data["synced"]["resolution"] == "Done"
    before = api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json
    run_poll(runtime, instance)

    assert only_incident(api)["category"] is None  # the hub's own resolve changed nothing in the hub
    assert api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json == before
    assert server.fake.issue(key)["resolution"] == "Done"
