"""The change calendar, collisions on Line 3 (and its machines and site) and freeze windows:
shown before approval, enforced on approval and scheduling unless overridden with a reason."""

from __future__ import annotations

from tests.hub.changes.conftest import END, START, Estate


def test_a_collision_on_line_3_is_shown_and_enforced(estate: Estate) -> None:
    first = estate.change("carol", title="Line 3 changeover to 330 ml")
    estate.to_assessment(first, "carol")
    # A repair on a machine of line 3 at an overlapping hour: the line is its parent.
    second = estate.change("bob", ci="plant-a/line-3/filler-2", title="Replace the filler's valve",
                           start="2026-11-16T07:00:00Z", end="2026-11-16T09:00:00Z")
    estate.to_assessment(second)
    shown = estate.api.get(f"/api/v1/changes/{second}/collisions").json
    assert shown["clear"] is False and [c["ref"] for c in shown["collisions"]] == [first]
    assert shown["collisions"][0]["line"] == "plant-a/line-3" and shown["collisions"][0]["site"] == "plant-a"
    assert [c["ref"] for c in estate.api.get(f"/api/v1/changes/{first}/collisions").json["collisions"]] == [second]
    assert estate.decide("carol", second).status_code == 201
    blocked = estate.decide("dave", second)  # the quorum's approval would approve it: refused
    assert blocked.status_code == 409 and f"collides with {first}" in blocked.json["detail"]
    assert blocked.json["collisions"] == [first]
    assert estate.api.get(f"/api/v1/changes/{second}").json["status"] == "assessment"
    overridden = estate.decide("dave", second, override_reason="The valve is leaking; the changeover waits")
    assert overridden.status_code == 201
    assert estate.api.get(f"/api/v1/changes/{second}").json["status"] == "approved"
    trail = estate.api.get(f"/api/v1/changes/{second}/audit").json
    override = next(e for e in trail if e["action"] == "schedule_override")
    assert override["note"] == "The valve is leaking; the changeover waits"
    assert override["changes"] == {"step": "approval", "collisions": [first], "freezes": []}
    assert override["actor"]["name"] == "dave"
    # Scheduling checks again, with its own override.
    bob = estate.people["bob"]
    assert bob.post(f"/api/v1/changes/{second}/transitions", json={"to": "scheduled"}).status_code == 409
    assert bob.post(f"/api/v1/changes/{second}/transitions", json={
        "to": "scheduled", "override_reason": "Agreed with the line 3 lead"}).status_code == 200


def test_changes_apart_or_elsewhere_do_not_collide(estate: Estate) -> None:
    estate.change("carol")
    later = estate.change("bob", start="2026-11-16T08:00:00Z", end="2026-11-16T09:00:00Z")  # touching is fine
    other_line = estate.change("bob", ci="plant-a/line-4")
    cancelled = estate.change("dave", ci="plant-a/line-3")
    estate.people["dave"].post(f"/api/v1/changes/{cancelled}/transitions", json={"to": "cancelled"})
    for ref in (later, other_line):
        assert estate.api.get(f"/api/v1/changes/{ref}/collisions").json["collisions"] == []


def test_a_freeze_at_the_site_blocks_approval_unless_overridden(estate: Estate) -> None:
    api = estate.api
    freeze = api.post("/api/v1/admin/freeze-windows", json={
        "site": "plant-a", "starts_at": "2026-11-15T00:00:00Z", "ends_at": "2026-11-20T00:00:00Z",
        "reason": "Customer audit week"})
    assert freeze.status_code == 201, freeze.json
    assert freeze.json["site_name"] == "Plant A"
    elsewhere = estate.change("bob", ci=None)  # on no item: only an every-site freeze holds it
    assert api.get(f"/api/v1/changes/{elsewhere}/collisions").json["clear"] is True
    ref = estate.change("bob", ci="plant-a/line-3/filler-2")
    estate.to_assessment(ref)
    assert [f["reason"] for f in api.get(f"/api/v1/changes/{ref}/collisions").json["freezes"]] == [
        "Customer audit week"]
    estate.decide("carol", ref)
    blocked = estate.decide("dave", ref)
    assert blocked.status_code == 409 and "Customer audit week" in blocked.json["detail"]
    assert estate.decide("dave", ref, override_reason="   ").status_code == 409  # a reason, not blanks
    assert estate.decide("dave", ref, override_reason="Safety fix, approved by the plant manager").status_code == 201
    assert api.get(f"/api/v1/changes/{ref}").json["status"] == "approved"
    # Freeze windows are checked and removed by admins.
    bad = api.post("/api/v1/admin/freeze-windows", json={"site": "nowhere", "starts_at": END, "ends_at": START,
                                                         "reason": "x"})
    assert bad.status_code == 422 and {"site", "ends_at"} <= set(bad.json["errors"])
    assert api.delete(f"/api/v1/admin/freeze-windows/{freeze.json['id']}").status_code == 204
    assert api.get("/api/v1/admin/freeze-windows").json == []


def test_the_calendar_by_site_and_line(estate: Estate) -> None:
    api = estate.api
    line3 = estate.change("bob")
    machine = estate.change("bob", ci="plant-a/line-3/filler-2", start="2026-11-18T06:00:00Z",
                            end="2026-11-18T07:00:00Z")
    line4 = estate.change("bob", ci="plant-a/line-4")
    plant_b = estate.change("bob", ci="plant-b")
    estate.change("bob", start="2026-12-20T06:00:00Z", end="2026-12-20T07:00:00Z")  # outside the range
    api.post("/api/v1/admin/freeze-windows", json={"site": "plant-b", "starts_at": "2026-11-10T00:00:00Z",
                                                   "ends_at": "2026-11-11T00:00:00Z", "reason": "Stocktake"})
    month = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    everything = api.get("/api/v1/changes/calendar", query_string=month).json
    assert [c["ref"] for c in everything["changes"]] == [line3, line4, plant_b, machine]
    assert [f["reason"] for f in everything["freezes"]] == ["Stocktake"]
    site = api.get("/api/v1/changes/calendar", query_string={**month, "site": "plant-a"}).json
    assert {c["ref"] for c in site["changes"]} == {line3, line4, machine} and site["freezes"] == []
    line = api.get("/api/v1/changes/calendar", query_string={**month, "line": "plant-a/line-3"}).json
    assert [c["ref"] for c in line["changes"]] == [line3, machine]
    assert line["changes"][1]["ci_name"] == "Filler 2"
    backwards = api.get("/api/v1/changes/calendar", query_string={"from": month["to"], "to": month["from"]})
    assert backwards.status_code == 422
    unknown = api.get("/api/v1/changes/calendar", query_string={**month, "site": "plant-z"})
    assert unknown.status_code == 422 and "site" in unknown.json["errors"]
    assert api.get("/api/v1/changes/calendar", query_string={"from": "x", "to": "y"}).status_code == 422
