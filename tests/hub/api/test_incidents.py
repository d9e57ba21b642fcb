"""Incidents through the API, as a new user would use it."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


def create(api: Any, **fields: Any) -> dict[str, Any]:
    body = {"title": "Room 4127 - no hot water", "impact": "high", "urgency": "medium", **fields}
    response = api.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def move(api: Any, ref: str, to: str, **extra: Any) -> Any:
    return api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": to, **extra})


def test_create_answers_201_with_ref_priority_location_and_etag(api: Any) -> None:
    response = api.post("/api/v1/incidents", json={"title": "Lift stuck", "description": "Floor 3",
                                                   "impact": "high", "urgency": "high"})
    assert response.status_code == 201
    body = response.json
    assert body["ref"] == "INC-000001"
    assert body["status"] == "new"
    assert body["priority"] == 1
    assert response.headers["Location"] == "/api/v1/incidents/INC-000001"
    assert response.headers["ETag"] == '"1"'
    assert create(api)["ref"] == "INC-000002"


def test_defaults_are_medium_medium_p3(api: Any) -> None:
    body = api.post("/api/v1/incidents", json={"title": "Flickering light"}).json
    assert (body["impact"], body["urgency"], body["priority"]) == ("medium", "medium", 3)


def test_whole_lifecycle_with_timestamps_and_audit(api: Any) -> None:
    ref = create(api)["ref"]
    steps = ["acknowledged", "in_progress", "on_hold", "in_progress", "resolved", "in_progress", "resolved", "closed"]
    for state in steps:
        extra = {"resolution": "Boiler reset"} if state == "resolved" else {}
        response = move(api, ref, state, **extra)
        assert response.status_code == 200, response.json
        assert response.json["status"] == state
    final = api.get(f"/api/v1/incidents/{ref}").json
    assert final["acknowledged_at"] and final["resolved_at"] and final["closed_at"]
    assert final["resolution"] == "Boiler reset"
    assert final["allowed_transitions"] == []
    trail = api.get(f"/api/v1/incidents/{ref}/audit").json
    assert [event["action"] for event in trail] == ["created"] + ["transitioned"] * 5 + ["reopened"] + \
        ["transitioned"] * 2
    assert all(event["actor"]["name"] == "alice" and event["origin"] == "api" for event in trail)
    assert trail[1]["changes"] == {"status": ["new", "acknowledged"]}


def test_cancel_from_new(api: Any) -> None:
    ref = create(api)["ref"]
    response = move(api, ref, "cancelled")
    assert response.status_code == 200
    assert response.json["closed_at"] is not None


def test_illegal_move_is_409_listing_allowed_moves(api: Any) -> None:
    ref = create(api)["ref"]
    response = move(api, ref, "closed")
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert response.json["allowed"] == ["acknowledged", "in_progress", "on_hold", "resolved", "cancelled"]
    assert response.json["current"] == "new"
    assert "cannot move to 'closed'" in response.json["detail"]


def test_unknown_state_is_409_naming_the_states(api: Any) -> None:
    response = move(api, create(api)["ref"], "done")
    assert response.status_code == 409
    assert "not an incident state" in response.json["detail"]


def test_patch_changes_fields_recomputes_priority_and_audits(api: Any) -> None:
    ref = create(api)["ref"]
    response = api.patch(f"/api/v1/incidents/{ref}", json={"urgency": "high", "tags": ["vip"]},
                         headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.json
    assert response.json["priority"] == 1
    assert response.headers["ETag"] == '"2"'
    trail = api.get(f"/api/v1/incidents/{ref}/audit").json
    assert trail[-1]["action"] == "updated"
    assert trail[-1]["changes"] == {"urgency": ["medium", "high"], "tags": [[], ["vip"]], "priority": [2, 1]}


def test_stale_if_match_is_412_and_changes_nothing(api: Any) -> None:
    ref = create(api)["ref"]
    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "First edit"}).status_code == 200
    stale = api.patch(f"/api/v1/incidents/{ref}", json={"title": "Second edit"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.mimetype == PROBLEM
    assert stale.json["current_version"] == 2
    assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "First edit"
    assert move(api, ref, "acknowledged").status_code == 200
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved"},
                    headers={"If-Match": '"2"'}).status_code == 412


def test_weak_and_star_if_match(api: Any) -> None:
    ref = create(api)["ref"]
    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "A"}, headers={"If-Match": 'W/"1"'}).status_code == 200
    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "B"}, headers={"If-Match": "*"}).status_code == 200
    bad = api.patch(f"/api/v1/incidents/{ref}", json={"title": "C"}, headers={"If-Match": "garbage"})
    assert bad.status_code == 412


def test_get_sends_etag_matching_version(api: Any) -> None:
    ref = create(api)["ref"]
    response = api.get(f"/api/v1/incidents/{ref}")
    assert response.headers["ETag"] == '"1"'
    assert response.json["version"] == 1


def test_validation_errors_are_problem_json_with_fields(api: Any) -> None:
    response = api.post("/api/v1/incidents", json={"title": "", "impact": "huge", "colour": "red",
                                                   "requester": {"email": "not-an-email"}})
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    errors = response.json["errors"]
    assert set(errors) == {"title", "impact", "colour", "requester.email"}
    assert errors["colour"] == ["Unknown field."]


def test_missing_title_and_wrong_types(api: Any) -> None:
    response = api.post("/api/v1/incidents", json={"impact": 3, "tags": "x"})
    assert response.status_code == 422
    assert {"title", "impact", "tags"} <= set(response.json["errors"])


def test_malformed_json_and_non_object_bodies(api: Any) -> None:
    for body, content_type in [("{not json", "application/json"), ("[1,2]", "application/json"),
                               ("title=x", "application/x-www-form-urlencoded"), ("", "application/json")]:
        response = api.client.post("/api/v1/incidents", data=body, content_type=content_type,
                                   headers={"Authorization": f"Bearer {api.token}"})
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.mimetype == PROBLEM


def test_status_cannot_be_patched(api: Any) -> None:
    ref = create(api)["ref"]
    response = api.patch(f"/api/v1/incidents/{ref}", json={"status": "closed"})
    assert response.status_code == 422
    assert "status" in response.json["errors"]


def test_change_only_fields_rejected_on_incidents(api: Any) -> None:
    response = api.post("/api/v1/incidents", json={"title": "x", "risk": "low"})
    assert response.status_code == 422
    assert "risk" in response.json["errors"]


def test_unknown_references_are_field_errors(api: Any) -> None:
    response = api.post("/api/v1/incidents", json={"title": "x", "department": "nowhere", "assignee": "ghost"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"department", "assignee"}


def test_org_names_resolve_and_show(api: Any) -> None:
    assert api.post("/api/v1/departments", json={"slug": "care", "name": "Customer care"}).status_code == 201
    assert api.post("/api/v1/groups", json={"slug": "front-desk", "name": "Front desk", "department": "care",
                                            "members": ["alice"]}).status_code == 201
    assert api.post("/api/v1/categories", json={"slug": "housekeeping", "name": "Housekeeping",
                                                "department": "care"}).status_code == 201
    assert api.post("/api/v1/configuration-items", json={"key": "hotel/room-4127", "name": "Room 4127",
                                                         "kind": "room"}).status_code == 201
    body = create(api, department="care", group="front-desk", category="housekeeping", ci="hotel/room-4127",
                  assignee="alice", requester={"name": "Maria Lopez", "email": "Maria.Lopez@example.org"})
    assert (body["department"], body["group"], body["category"], body["ci"], body["assignee"]) == (
        "care", "front-desk", "housekeeping", "hotel/room-4127", "alice")
    assert body["requester"] == {"name": "Maria Lopez", "email": "maria.lopez@example.org"}
    groups = api.get("/api/v1/groups").json
    assert groups[0]["members"] == ["alice"]
    assert api.post("/api/v1/departments", json={"slug": "care", "name": "Again"}).status_code == 409


def test_not_found_is_problem_json(api: Any) -> None:
    for path in ("/api/v1/incidents/INC-999999", "/api/v1/incidents/CHG-000001", "/api/v1/incidents/nonsense",
                 "/api/v1/nothing-here"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == PROBLEM


def test_method_not_allowed_is_problem_json(api: Any) -> None:
    response = api.delete("/api/v1/incidents")
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert "GET" in response.headers["Allow"]


def test_comments_public_and_internal_with_first_response(api: Any) -> None:
    ref = create(api)["ref"]
    internal = api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Called the plumber",
                                                                    "visibility": "internal"})
    assert internal.status_code == 201
    assert api.get(f"/api/v1/incidents/{ref}").json["first_response_at"] is None
    public = api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A plumber is on the way."})
    assert public.status_code == 201
    assert public.json["visibility"] == "public"
    listed = api.get(f"/api/v1/incidents/{ref}/comments").json
    assert [c["visibility"] for c in listed] == ["internal", "public"]
    assert api.get(f"/api/v1/incidents/{ref}").json["first_response_at"] is not None
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "   "}).status_code == 422


def test_request_too_large_is_413(app_config: dict) -> None:
    from hub import create_app
    from tests.conftest import ApiClient, make_token

    app_config["MAX_CONTENT_LENGTH"] = 1000
    app = create_app(app_config)
    client = ApiClient(app.test_client(), make_token(app, "agent"))
    response = client.post("/api/v1/incidents", json={"title": "x", "description": "y" * 5000})
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    app.extensions["hub"].db.dispose()
