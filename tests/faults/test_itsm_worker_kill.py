"""kill -9 of the delivery worker while it talks to Request Tracker, Jira or ServiceNow.

Hub changes on linked tickets and new ones (creates, public replies, internal comments, a
file) wait in the outbox; real worker processes deliver them to the system's double and
are killed at chosen moments: right after the double carried out a write whose answer the
worker never reads, or as a read comes in while it may hold claimed messages. A fresh
worker finishes. The bound: the remote holds exactly one copy of each hub change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from connectors.rt.config import REF_TAG
from hub.models import OutboxMessage
from tests.fakes.base import FakeService
from tests.fakes.jira import JiraFake, adf_text
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake
from tests.faults.itsm_kill import Kill, Killer, deliver_with_kills
from tests.support.attachments import upload
from tests.support.jobs import drain

Copies = Counter[tuple[str, str]]
"""What the remote holds of the hub's writes: (kind, text) -> how many copies."""

FILE = ("screenshot.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)


@dataclass(frozen=True)
class System:
    plugin: tuple[str, str]
    make: Callable[[], FakeService]
    config: Callable[[str], dict[str, Any]]
    copies: Callable[[Any], Copies]
    create: str
    """A regex for the request that creates a record."""


PLANS: dict[str, Callable[[System], list[Kill]]] = {
    "after-write-2": lambda system: [Kill(2)],
    "after-a-create-then-at-read-3": lambda system: [Kill(1, match=system.create), Kill(3, on_read=True)],
    "after-the-file": lambda system: [Kill(1, match=r"screenshot\.png")],
}


def rt_copies(fake: RTFake) -> Copies:
    found: Copies = Counter()
    for ticket in fake.tickets():
        tag = REF_TAG.search(ticket["Subject"])
        if tag:
            found["create", tag.group(1)] += 1
        for txn in fake.transactions(ticket["id"]):
            parts = fake.attachments(txn.id)
            if txn.creator != "hub" or txn.type not in ("Correspond", "Comment"):
                continue
            files = [part for part in parts if part.filename]
            for part in files:
                found["file", part.filename] += 1
            if not files:
                (text,) = [part.content.decode() for part in parts]
                found["public" if txn.type == "Correspond" else "internal", text] += 1
    return found


def jira_copies(fake: JiraFake) -> Copies:
    found: Copies = Counter()
    for issue in fake.issues():
        for label in issue["labels"]:
            found["create", label.removeprefix("itsm-hub-")] += 1
        for comment in fake.comments(issue["key"]):
            if comment["author"] == "hub@example.com":
                found["internal" if comment["internal"] else "public", adf_text(comment["body"])] += 1
        for attachment in fake.attachments(issue["key"]):
            if attachment["author"] == "hub@example.com":
                found["file", attachment["filename"]] += 1
    return found


def servicenow_copies(fake: ServiceNowFake) -> Copies:
    found: Copies = Counter()
    for record in fake.records("incident"):
        if record["correlation_id"]:
            found["create", record["correlation_id"]] += 1
        for entry in fake.journal(record["sys_id"]):
            if entry["sys_created_by"] == "admin":
                found["public" if entry["element"] == "comments" else "internal", entry["value"]] += 1
        for row in fake.attachments.of(record["sys_id"]):
            if row["sys_created_by"] == "admin":
                found["file", row["file_name"]] += 1
    return found


SYSTEMS = {
    "rt": System(("rt", "connectors.rt"), RTFake,
                 lambda url: {"url": url, "token": "rt-token", "rt_user": "hub", "timeout_seconds": 5},
                 rt_copies, r"^/REST/2\.0/ticket\?"),
    "jira": System(("jira", "connectors.jira"), JiraFake,
                   lambda url: {"site_url": url, "email": "hub@example.com", "api_token": "jira-token",
                                "project": "ITSM", "index_settle_seconds": 0, "timeout_seconds": 5},
                   jira_copies, r"^/rest/api/3/issue\?"),
    "servicenow": System(("servicenow", "connectors.servicenow"), ServiceNowFake,
                         lambda url: {"instance_url": url, "username": "admin", "password": "admin",
                                      "tables": ["incident"], "timeout_seconds": 5},
                         servicenow_copies, r"^/api/now/table/incident\?"),
}


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    system = SYSTEMS[request.node.callspec.params["system"]]
    app_config["PLUGINS"] = [*app_config["PLUGINS"], system.plugin]
    return app_config


def change_everything(api: Any, app: Any, linked: int = 3, new: int = 2) -> Copies:
    """Tickets linked first (delivered in process), then the changes the workers must
    deliver; returns what the remote must hold afterwards, once each."""
    expected: Copies = Counter()
    refs = []
    for n in range(linked):
        response = api.post("/api/v1/incidents", json={"title": f"Linked {n}", "description": "before the kill"})
        assert response.status_code == 201, response.json
        refs.append(response.json["ref"])
        expected["create", response.json["ref"]] += 1
    drain(app)
    for ref in refs:
        for visibility in ("public", "internal"):
            body = f"{visibility.title()} word on {ref}"
            assert api.post(f"/api/v1/incidents/{ref}/comments",
                            json={"body": body, "visibility": visibility}).status_code == 201
            expected[visibility, body] += 1
    upload(api, refs[0], *FILE)
    expected["file", FILE[0]] += 1
    for n in range(new):
        ref = api.post("/api/v1/incidents", json={"title": f"New {n}", "description": "during the kill"}).json["ref"]
        body = f"First reply on {ref}"
        assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": body, "visibility": "public"}
                        ).status_code == 201
        expected["create", ref] += 1
        expected["public", body] += 1
    return expected


@pytest.mark.parametrize("plan", list(PLANS))
@pytest.mark.parametrize("system", list(SYSTEMS))
def test_kill_9_mid_delivery_leaves_one_copy_of_each_change(api: Any, app: Any, runtime: Any,
                                                            app_config: dict[str, Any], system: str,
                                                            plan: str) -> None:
    spec = SYSTEMS[system]
    with FakeServer(spec.make()) as server:
        body = {"connector": system, "slug": system, "enabled": True, "poll_interval": 86400,
                "config": {**spec.config(server.url), "create_remote": True}}
        assert api.post("/api/v1/admin/instances", json=body).status_code == 201
        expected = change_everything(api, app)
        killer = Killer(server)

        deliver_with_kills(runtime, app_config, killer, PLANS[plan](spec))

        assert spec.copies(server.fake) == expected
        assert not server.fake.internal_errors
    with runtime.db.reading() as session:
        from sqlalchemy import select

        statuses = Counter(session.scalars(select(OutboxMessage.status)))
    assert set(statuses) == {"delivered"}, statuses
