"""Bulk actions and merges through the API: results per ticket, problems for bad input."""

from __future__ import annotations

from typing import Any

import pytest

PROBLEM = "application/problem+json"


def create(api: Any, kind: str = "incidents", **fields: Any) -> str:
    response = api.post(f"/api/v1/{kind}", json={"title": "Boiler pressure low", **fields})
    assert response.status_code == 201, response.json
    return str(response.json["ref"])


@pytest.fixture
def org(api: Any) -> None:
    assert api.post("/api/v1/departments", json={"slug": "facilities", "name": "Facilities"}).status_code == 201
    assert api.post("/api/v1/groups", json={"slug": "plumbers", "name": "Plumbers"}).status_code == 201


def test_bulk_assign_move_and_tag_report_each_ticket(api: Any, org: None) -> None:
    first, second = create(api), create(api)
    body = api.post("/api/v1/incidents/bulk", json={"refs": [first, second, "INC-999999"], "action": "assign",
                                                    "assignee": "alice"}).json
    assert (body["action"], body["changed"], body["unchanged"], body["refused"]) == ("assign", 2, 0, 1)
    assert [(r["ref"], r["outcome"], r["status"]) for r in body["results"]] == [
        (first, "changed", 200), (second, "changed", 200), ("INC-999999", "refused", 404)]
    assert body["results"][2]["detail"] == "No incident INC-999999."
    moved = api.post("/api/v1/incidents/bulk", json={"refs": [first], "action": "move", "department": "facilities",
                                                     "group": "plumbers"}).json
    assert moved["changed"] == 1
    api.post("/api/v1/incidents/bulk", json={"refs": [first, second], "action": "tag", "tag": "boiler"})
    ticket = api.get(f"/api/v1/incidents/{first}").json
    assert (ticket["assignee"], ticket["department"], ticket["group"], ticket["tags"]) == (
        "alice", "facilities", "plumbers", ["boiler"])
    trail = api.get(f"/api/v1/incidents/{first}/audit").json
    assert next(e["changes"] for e in trail if e["action"] == "updated") == {"assignee": [None, "alice"]}
    assert all(e["origin"] == "api" and e["actor"]["name"] == "alice" for e in trail[1:])


def test_changes_have_their_own_bulk_without_merging(api: Any) -> None:
    change, incident = create(api, "changes"), create(api)
    body = api.post("/api/v1/changes/bulk", json={"refs": [change, incident], "action": "tag", "tag": "cab"}).json
    assert [(r["ref"], r["outcome"]) for r in body["results"]] == [(change, "changed"), (incident, "refused")]
    refused = api.post("/api/v1/changes/bulk", json={"refs": [change], "action": "merge", "into": change})
    assert refused.status_code == 422 and "action" in refused.json["errors"]
    assert "/api/v1/changes/{ref}/merge" not in api.get("/api/v1/openapi.json").json["paths"]


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "tag", "tag": "x"}, "refs"),
    ({"refs": [], "action": "tag", "tag": "x"}, "refs"),
    ({"refs": ["INC-000001"] * 201, "action": "tag", "tag": "x"}, "refs"),
    ({"refs": "INC-000001", "action": "tag", "tag": "x"}, "refs"),
    ({"refs": [7], "action": "tag", "tag": "x"}, "refs.0"),
    ({"refs": ["INC-000001"], "action": "close"}, "action"),
    ({"refs": ["INC-000001"], "action": "tag"}, "tag"),
    ({"refs": ["INC-000001"], "action": "tag", "tag": "x" * 65}, "tag"),
    ({"refs": ["INC-000001"], "action": "assign"}, "assignee"),
    ({"refs": ["INC-000001"], "action": "assign", "assignee": "nobody"}, "assignee"),
    ({"refs": ["INC-000001"], "action": "assign", "assignee": "alice", "tag": "x"}, "tag"),
    ({"refs": ["INC-000001"], "action": "move"}, "department"),
    ({"refs": ["INC-000001"], "action": "move", "department": "nowhere"}, "department"),
    ({"refs": ["INC-000001"], "action": "merge"}, "into"),
    ({"refs": ["INC-000001"], "action": "tag", "tag": "x", "colour": "red"}, "colour"),
])
def test_bad_bulk_requests_are_problems_and_change_nothing(api: Any, body: dict[str, Any], field: str) -> None:
    ref = create(api)
    response = api.post("/api/v1/incidents/bulk", json=body)
    assert response.status_code == 422, response.json
    assert response.content_type == PROBLEM and field in response.json["errors"]
    assert [e["action"] for e in api.get(f"/api/v1/incidents/{ref}/audit").json] == ["created"]


def test_merge_one_incident_into_another(api: Any) -> None:
    main = create(api, requester={"name": "Mia", "email": "mia@example.org"})
    dup = create(api, requester={"name": "Omar", "email": "omar@example.org"})
    version = api.get(f"/api/v1/incidents/{dup}").headers["ETag"]
    stale = api.post(f"/api/v1/incidents/{dup}/merge", json={"into": main}, headers={"If-Match": '"99"'})
    assert stale.status_code == 412 and stale.content_type == PROBLEM
    response = api.post(f"/api/v1/incidents/{dup}/merge", json={"into": main.lower()}, headers={"If-Match": version})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["duplicate_of"], body["resolution"]) == ("closed", main, f"Duplicate of {main}.")
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert api.get(f"/api/v1/incidents/{main}").json["duplicate_of"] is None
    public = api.get(f"/api/v1/incidents/{dup}/comments").json
    assert [(c["visibility"], main in c["body"]) for c in public] == [("public", True)]
    internal = api.get(f"/api/v1/incidents/{main}/comments").json
    assert [(c["visibility"], dup in c["body"]) for c in internal] == [("internal", True)]
    assert "merged" in [e["action"] for e in api.get(f"/api/v1/incidents/{dup}/audit").json]
    assert "duplicate_added" in [e["action"] for e in api.get(f"/api/v1/incidents/{main}/audit").json]


@pytest.mark.parametrize(("case", "status", "words"), [
    ("itself", 422, "into itself"),
    ("into a change", 422, "only incidents"),
    ("a change", 404, "No incident CHG-"),
    ("into a duplicate", 409, "is itself a duplicate of"),
    ("into a closed one", 409, "merge into an open ticket"),
    ("into nothing", 404, "No ticket INC-999999"),
    ("without into", 422, "into"),
])
def test_merges_that_make_no_sense_are_problems(api: Any, case: str, status: int, words: str) -> None:
    main, dup, other = create(api), create(api), create(api)
    change = create(api, "changes")
    body: dict[str, Any] = {"into": main}
    path = f"/api/v1/incidents/{dup}/merge"
    if case == "itself":
        body["into"] = dup
    elif case == "into a change":
        body["into"] = change
    elif case == "a change":
        path = f"/api/v1/incidents/{change}/merge"
    elif case == "into a duplicate":
        assert api.post(f"/api/v1/incidents/{main}/merge", json={"into": other}).status_code == 200
    elif case == "into a closed one":
        api.post(f"/api/v1/incidents/{main}/transitions", json={"to": "cancelled"})
    elif case == "into nothing":
        body["into"] = "INC-999999"
    elif case == "without into":
        body = {}
    response = api.post(path, json=body)
    assert response.status_code == status, response.json
    assert response.content_type == PROBLEM
    assert words in response.json["detail"] + str(response.json.get("errors") or "")
    assert api.get(f"/api/v1/incidents/{dup}").json["status"] == "new"


def test_bulk_merge_reports_the_main_ticket_among_the_refs(api: Any) -> None:
    main, first, second = create(api), create(api), create(api)
    body = api.post("/api/v1/incidents/bulk", json={"refs": [first, main, second], "action": "merge",
                                                    "into": main}).json
    assert [(r["ref"], r["outcome"]) for r in body["results"]] == [
        (first, "changed"), (main, "refused"), (second, "changed")]
    assert "into itself" in body["results"][1]["detail"]
    closed = api.post("/api/v1/incidents/bulk", json={"refs": [first], "action": "merge", "into": first})
    assert closed.status_code == 409 and "is itself a duplicate" in closed.json["detail"]


def test_bulk_and_merge_need_write_access(client_for: Any, api: Any) -> None:
    ref = create(api)
    requester = client_for("requester", "rita", "rita@example.org")
    assert requester.post("/api/v1/incidents/bulk", json={"refs": [ref], "action": "tag", "tag": "x"}
                          ).status_code == 403
    assert requester.post(f"/api/v1/incidents/{ref}/merge", json={"into": ref}).status_code == 403
    connector = client_for("connector")
    assert connector.post("/api/v1/incidents/bulk", json={"refs": [ref], "action": "tag", "tag": "x"}
                          ).json["changed"] == 1


def test_the_openapi_document_describes_bulk_and_merge(anonymous: Any) -> None:
    paths = anonymous.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/incidents/bulk"]) == {"post"} and set(paths["/api/v1/changes/bulk"]) == {"post"}
    assert "post" in paths["/api/v1/incidents/{ref}/merge"]
