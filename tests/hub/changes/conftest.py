"""An estate for change governance: a plant with lines and machines, a change advisory board
of three agents (bob, carol, dave) deciding on normal changes with a quorum of two."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import ApiClient, make_token

START, END = "2026-11-16T06:00:00Z", "2026-11-16T08:00:00Z"


class Estate:
    def __init__(self, app: Flask, api: ApiClient) -> None:
        self.app, self.api = app, api
        for key, name, kind, parent in (
                ("plant-a", "Plant A", "site", None), ("plant-a/line-3", "Line 3", "line", "plant-a"),
                ("plant-a/line-3/filler-2", "Filler 2", "machine", "plant-a/line-3"),
                ("plant-a/line-4", "Line 4", "line", "plant-a"), ("plant-b", "Plant B", "site", None)):
            made = api.post("/api/v1/configuration-items", json={"key": key, "name": name, "kind": kind,
                                                                  "parent": parent})
            assert made.status_code == 201, made.json
        self.people = {name: ApiClient(app.test_client(), make_token(app, "agent", name, f"{name}@hub.test"))
                       for name in ("bob", "carol", "dave")}
        made = api.post("/api/v1/groups", json={"slug": "cab", "name": "Change advisory board",
                                                "members": ["bob", "carol", "dave"]})
        assert made.status_code == 201, made.json
        policy = api.post("/api/v1/admin/approval-policies", json={"change_type": "normal", "group": "cab",
                                                                    "quorum": 2})
        assert policy.status_code == 201, policy.json

    def change(self, author: str = "bob", *, ci: str | None = "plant-a/line-3", start: str = START,
               end: str = END, **fields: Any) -> str:
        client = self.people.get(author, self.api)
        body = {"title": "Switch line 3 to 330 ml format", "type": "normal", "risk": "medium", "ci": ci,
                "planned_start": start, "planned_end": end, **fields}
        made = client.post("/api/v1/changes", json=body)
        assert made.status_code == 201, made.json
        return str(made.json["ref"])

    def to_assessment(self, ref: str, who: str = "bob") -> None:
        for state in ("submitted", "assessment"):
            moved = self.client(who).post(f"/api/v1/changes/{ref}/transitions", json={"to": state})
            assert moved.status_code == 200, moved.json

    def client(self, who: str) -> ApiClient:
        return self.people.get(who, self.api)

    def decide(self, who: str, ref: str, decision: str = "approved", **extra: Any) -> Any:
        return self.client(who).post(f"/api/v1/changes/{ref}/approvals", json={"decision": decision, **extra})


@pytest.fixture
def estate(app: Flask, api: ApiClient) -> Estate:
    return Estate(app, api)
