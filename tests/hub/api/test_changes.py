"""Changes through the API: the whole lifecycle, approvals, standard and failed paths."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import ApiClient, make_token


@pytest.fixture
def cab(app: Flask) -> ApiClient:
    """Another admin: the one who decides on alice's changes."""
    return ApiClient(app.test_client(), make_token(app, "admin", "bob", "bob@hub.test"))


def create(api: Any, **fields: Any) -> dict[str, Any]:
    body = {"title": "Switch line 3 to 330 ml format", "type": "normal", "risk": "medium",
            "planned_start": "2026-11-16T06:00:00Z", "planned_end": "2026-11-16T08:00:00+00:00", **fields}
    response = api.post("/api/v1/changes", json=body)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def move(api: Any, ref: str, to: str, **extra: Any) -> Any:
    return api.post(f"/api/v1/changes/{ref}/transitions", json={"to": to, **extra})


def test_create_change(api: Any) -> None:
    body = create(api)
    assert body["ref"] == "CHG-000001"
    assert (body["status"], body["type"], body["risk"]) == ("draft", "normal", "medium")
    assert body["planned_start"].startswith("2026-11-16T06:00:00")
    assert body["allowed_transitions"] == ["submitted", "cancelled"]


def test_changes_and_incidents_number_independently(api: Any) -> None:
    assert api.post("/api/v1/incidents", json={"title": "x"}).json["ref"] == "INC-000001"
    assert create(api)["ref"] == "CHG-000001"
    assert create(api)["ref"] == "CHG-000002"
    assert api.get("/api/v1/changes/INC-000001").status_code == 404


def test_normal_change_full_lifecycle_with_approval(api: Any, cab: Any) -> None:
    ref = create(api)["ref"]
    assert move(api, ref, "submitted").json["status"] == "submitted"
    assert move(api, ref, "approved").status_code == 409  # a normal change must be assessed
    assert move(api, ref, "assessment").status_code == 200
    own = api.post(f"/api/v1/changes/{ref}/approvals", json={"decision": "approved", "comment": "mine, fine"})
    assert own.status_code == 409 and "no self-approval" in own.json["detail"]
    assert move(api, ref, "approved").status_code == 409  # nor through a transition
    approval = cab.post(f"/api/v1/changes/{ref}/approvals", json={"decision": "approved", "comment": "CAB ok"})
    assert approval.status_code == 201, approval.json
    assert approval.json["approver"] == "bob"
    for state in ("scheduled", "implementing", "review", "closed"):
        response = move(api, ref, state)
        assert response.status_code == 200, response.json
    body = api.get(f"/api/v1/changes/{ref}").json
    assert body["status"] == "closed" and body["closed_at"]
    assert [a["decision"] for a in api.get(f"/api/v1/changes/{ref}/approvals").json] == ["approved"]
    actions = [event["action"] for event in api.get(f"/api/v1/changes/{ref}/audit").json]
    assert actions == ["created", "transitioned", "transitioned", "transitioned", "approval", "transitioned",
                       "transitioned", "transitioned", "transitioned"]


def test_rejection_and_rework(api: Any, cab: Any) -> None:
    ref = create(api)["ref"]
    move(api, ref, "submitted")
    move(api, ref, "assessment")
    bare = move(cab, ref, "rejected")
    assert bare.status_code == 422 and "Say why the change is rejected" in str(bare.json)
    rejected = move(cab, ref, "rejected", note="Risk too high during peak")
    assert rejected.status_code == 200
    assert api.get(f"/api/v1/changes/{ref}/approvals").json[0]["decision"] == "rejected"
    assert move(api, ref, "scheduled").status_code == 409
    assert move(api, ref, "draft").json["status"] == "draft"


def test_standard_change_skips_assessment(api: Any) -> None:
    ref = create(api, type="standard", risk="low")["ref"]
    move(api, ref, "submitted")
    assert move(api, ref, "approved").status_code == 200


def test_failed_and_backed_out_are_final(api: Any) -> None:
    for final in ("failed", "backed_out"):
        ref = create(api, type="emergency", risk="high")["ref"]
        for state in ("submitted", "assessment", "approved", "scheduled", "implementing", final):
            assert move(api, ref, state).status_code == 200, state
        body = api.get(f"/api/v1/changes/{ref}").json
        assert body["allowed_transitions"] == [] and body["closed_at"]


def test_approval_outside_assessment_is_409(api: Any) -> None:
    ref = create(api)["ref"]
    response = api.post(f"/api/v1/changes/{ref}/approvals", json={"decision": "approved"})
    assert response.status_code == 409
    assert api.get(f"/api/v1/changes/{ref}/approvals").json == []


def test_change_validation(api: Any) -> None:
    response = api.post("/api/v1/changes", json={"title": "x", "type": "whenever", "risk": "extreme",
                                                 "planned_start": "2026-11-16T06:00:00"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"type", "risk", "planned_start"}
    backwards = api.post("/api/v1/changes", json={"title": "x", "planned_start": "2026-11-16T08:00:00Z",
                                                  "planned_end": "2026-11-16T06:00:00Z"})
    assert backwards.status_code == 422
    assert "planned_end" in backwards.json["errors"]


def test_incidents_have_no_approvals_route(api: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    assert api.post(f"/api/v1/incidents/{ref}/approvals", json={"decision": "approved"}).status_code == 404
