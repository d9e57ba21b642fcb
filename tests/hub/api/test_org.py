"""The organisation's API: update, delete (refused in use), merge, group members, an item's history."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import make_token


def setup_plant(api: Any) -> dict[str, int]:
    ids = {}
    for body in ({"key": "plant-a", "name": "Plant A", "kind": "site"},
                 {"key": "plant-a/line-3", "name": "Line 3", "kind": "line", "parent": "plant-a",
                  "owner": "alice", "criticality": "high"},
                 {"key": "plant-a/line-3/filler", "name": "Filler", "kind": "machine", "parent": "plant-a/line-3"},
                 {"key": "plant-a/line-3/capper", "name": "Capper", "kind": "machine", "parent": "plant-a/line-3"}):
        response = api.post("/api/v1/configuration-items", json=body)
        assert response.status_code == 201, response.json
        ids[body["key"].rsplit("/", 1)[-1]] = response.json["id"]
    return ids


def test_items_show_owner_and_criticality_and_refuse_loops(api: Any) -> None:
    ids = setup_plant(api)
    line = api.get(f"/api/v1/configuration-items/{ids['line-3']}").json
    assert (line["owner"], line["criticality"], line["parent"], line["kind"]) == ("alice", "high", "plant-a", "line")
    loop = api.patch(f"/api/v1/configuration-items/{ids['plant-a']}", json={"parent": "plant-a/line-3/filler"})
    assert loop.status_code == 409 and loop.json["field"] == "parent"
    assert "must not loop" in loop.json["detail"]
    bad = api.patch(f"/api/v1/configuration-items/{ids['filler']}", json={"criticality": "extreme", "colour": "red"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"criticality", "colour"}
    ghost = api.patch(f"/api/v1/configuration-items/{ids['filler']}", json={"owner": "ghost"})
    assert ghost.status_code == 422 and ghost.json["errors"] == {"owner": ["No user 'ghost'."]}
    moved = api.patch(f"/api/v1/configuration-items/{ids['filler']}", json={"parent": None, "criticality": "critical"})
    assert moved.status_code == 200 and moved.json["parent"] is None and moved.json["criticality"] == "critical"
    assert api.get("/api/v1/configuration-items/999999").status_code == 404


def test_a_department_is_renamed_and_its_tickets_follow(api: Any) -> None:
    assert api.post("/api/v1/departments", json={"slug": "care", "name": "Care"}).status_code == 201
    ref = api.post("/api/v1/incidents", json={"title": "Cold room", "department": "care"}).json["ref"]
    renamed = api.patch("/api/v1/departments/care", json={"slug": "guest-care", "name": "Guest care"})
    assert renamed.status_code == 200 and renamed.json["slug"] == "guest-care"
    assert api.get(f"/api/v1/incidents/{ref}").json["department"] == "guest-care"
    assert api.get("/api/v1/departments/care").status_code == 404
    taken = api.post("/api/v1/departments", json={"slug": "other", "name": "Other"})
    assert taken.status_code == 201
    clash = api.patch("/api/v1/departments/other", json={"slug": "guest-care"})
    assert clash.status_code == 409 and clash.headers["Content-Type"].startswith("application/problem+json")


def test_deleting_in_use_is_refused_with_the_reason_then_merged(api: Any) -> None:
    for slug in ("care", "service"):
        api.post("/api/v1/departments", json={"slug": slug, "name": slug.title()})
    api.post("/api/v1/groups", json={"slug": "desk", "name": "Desk", "department": "care"})
    refs = [api.post("/api/v1/incidents", json={"title": f"Complaint {n}", "department": "care"}).json["ref"]
            for n in range(2)]
    refused = api.delete("/api/v1/departments/care")
    assert refused.status_code == 409
    assert refused.json["in_use"] == {"open_tickets": 2, "groups": 1}
    assert refused.json["detail"].startswith("Department 'care' is in use: 2 open tickets, 1 group.")
    version = api.get(f"/api/v1/incidents/{refs[0]}").headers["ETag"]
    nowhere = api.post("/api/v1/departments/care/merge", json={"into": "nowhere"})
    assert nowhere.status_code == 422 and nowhere.json["errors"] == {"into": ["No department 'nowhere'."]}
    itself = api.post("/api/v1/departments/care/merge", json={"into": "care"})
    assert itself.status_code == 422
    merged = api.post("/api/v1/departments/care/merge", json={"into": "service"})
    assert merged.status_code == 200, merged.json
    assert merged.json["merged"] == "care" and merged.json["moved"] == {"tickets": 2, "groups": 1}
    ticket = api.get(f"/api/v1/incidents/{refs[0]}")
    assert ticket.json["department"] == "service" and ticket.headers["ETag"] != version
    audit = api.get(f"/api/v1/incidents/{refs[0]}/audit").json
    assert any(row["changes"] == {"department": ["care", "service"]} for row in audit)
    assert api.get("/api/v1/groups/desk").json["department"] == "service"
    assert api.delete("/api/v1/departments/care").status_code == 404
    empty = api.post("/api/v1/departments", json={"slug": "empty", "name": "Empty"})
    assert empty.status_code == 201 and api.delete("/api/v1/departments/empty").status_code == 204


def test_categories_are_addressed_by_id_and_merged(api: Any) -> None:
    first = api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise"}).json["id"]
    second = api.post("/api/v1/categories", json={"slug": "loud", "name": "Loud"}).json["id"]
    ref = api.post("/api/v1/incidents", json={"title": "Loud fan", "category": "loud"}).json["ref"]
    assert api.patch(f"/api/v1/categories/{first}", json={"name": "Noise and vibration"}).json["name"] == (
        "Noise and vibration")
    assert api.delete(f"/api/v1/categories/{second}").status_code == 409
    wrong = api.post(f"/api/v1/categories/{second}/merge", json={"into": "noise"})
    assert wrong.status_code == 422 and "into" in wrong.json["errors"]
    merged = api.post(f"/api/v1/categories/{second}/merge", json={"into": first})
    assert merged.status_code == 200 and merged.json["moved"] == {"tickets": 1}
    assert api.get(f"/api/v1/incidents/{ref}").json["category"] == "noise"


def test_group_members_are_put_and_deleted(app: Flask, api: Any, client_for: Any) -> None:
    make_token(app, "agent", "maria")
    make_token(app, "requester", "rita")
    assert api.post("/api/v1/groups", json={"slug": "line-3", "name": "Line 3"}).status_code == 201
    added = api.put("/api/v1/groups/line-3/members/maria")
    assert added.status_code == 200 and added.json["members"] == ["maria"]
    assert api.put("/api/v1/groups/line-3/members/maria").json["members"] == ["maria"]  # idempotent
    requester = api.put("/api/v1/groups/line-3/members/rita")
    assert requester.status_code == 422 and "only agents and admins" in requester.json["errors"]["username"][0]
    assert api.put("/api/v1/groups/nope/members/maria").status_code == 404
    assert client_for("agent").put("/api/v1/groups/line-3/members/maria").status_code == 403
    assert api.delete("/api/v1/groups/line-3/members/maria").status_code == 204
    assert api.delete("/api/v1/groups/line-3/members/maria").status_code == 404
    assert api.get("/api/v1/groups/line-3").json["members"] == []


def test_an_items_history_counts_recurring_faults_for_staff_only(app: Flask, api: Any, client_for: Any) -> None:
    ids = setup_plant(api)
    for title in ("Filler E101", "Filler E101 again"):
        api.post("/api/v1/incidents", json={"title": title, "ci": "plant-a/line-3/filler"})
    change = api.post("/api/v1/changes", json={"title": "New filler valve", "ci": "plant-a/line-3/filler",
                                               "type": "normal"})
    assert change.status_code == 201, change.json
    from hub.models import Ticket

    with app.extensions["hub"].db.transaction() as session:
        for row in session.query(Ticket).filter(Ticket.title.like("Filler E101%")):
            row.correlation_key, row.occurrence_count = "plant-a/filler/E101", 3
    history = api.get(f"/api/v1/configuration-items/{ids['filler']}/history")
    assert history.status_code == 200, history.json
    body = history.json
    assert [t["title"] for t in body["tickets"]] == ["New filler valve", "Filler E101 again", "Filler E101"]
    assert body["path"] == ["plant-a", "plant-a/line-3", "plant-a/line-3/filler"]
    assert body["recurring"][0]["key"] == "plant-a/filler/E101" and body["recurring"][0]["occurrences"] == 6
    assert body["totals"]["changes"] == 1 and body["log"][0]["action"] == "created"
    line = api.get(f"/api/v1/configuration-items/{ids['line-3']}/history?below=true&limit=1").json
    assert line["items_covered"] == 3 and line["totals"]["tickets"] == 3 and len(line["tickets"]) == 1
    assert api.get(f"/api/v1/configuration-items/{ids['line-3']}/history?limit=0").status_code == 422
    assert client_for("agent").get(f"/api/v1/configuration-items/{ids['filler']}/history").status_code == 200
    refused = client_for("requester").get(f"/api/v1/configuration-items/{ids['filler']}/history")
    assert refused.status_code == 403


def test_merging_an_item_moves_tickets_and_children(api: Any) -> None:
    ids = setup_plant(api)
    api.post("/api/v1/configuration-items", json={"key": "plant-a/line-4", "name": "Line 4", "kind": "line",
                                                  "parent": "plant-a"})
    ref = api.post("/api/v1/incidents", json={"title": "Line 3 stopped", "ci": "plant-a/line-3"}).json["ref"]
    refused = api.delete(f"/api/v1/configuration-items/{ids['line-3']}")
    assert refused.status_code == 409 and refused.json["in_use"] == {"open_tickets": 1, "children": 2}
    inside = api.post(f"/api/v1/configuration-items/{ids['line-3']}/merge", json={"into": "plant-a/line-3/filler"})
    assert inside.status_code == 422
    merged = api.post(f"/api/v1/configuration-items/{ids['line-3']}/merge", json={"into": "plant-a/line-4"})
    assert merged.json["moved"] == {"tickets": 1, "children": 2}
    assert api.get(f"/api/v1/incidents/{ref}").json["ci"] == "plant-a/line-4"
    assert api.get(f"/api/v1/configuration-items/{ids['filler']}").json["parent"] == "plant-a/line-4"


def test_the_new_routes_are_in_the_openapi_document(anonymous: Any) -> None:
    paths = anonymous.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/departments/{slug}", "/api/v1/departments/{slug}/merge",
                 "/api/v1/groups/{slug}/members/{username}", "/api/v1/categories/{category_id}/merge",
                 "/api/v1/configuration-items/{item_id}", "/api/v1/configuration-items/{item_id}/history"):
        assert path in paths, path
