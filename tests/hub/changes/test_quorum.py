"""A change advisory board decides with a quorum: two of three, never the author, once each."""

from __future__ import annotations

from typing import Any

from tests.hub.changes.conftest import Estate


def status(estate: Estate, ref: str) -> dict[str, Any]:
    body = estate.api.get(f"/api/v1/changes/{ref}/approval-status").json
    assert isinstance(body, dict)
    return body


def test_two_of_three_approve_and_the_author_is_refused(estate: Estate) -> None:
    ref = estate.change("bob")
    estate.to_assessment(ref)
    assert status(estate, ref) | {"members": None} == {
        "group": "cab", "quorum": 2, "approved_by": [], "rejected_by": [], "members": None, "needed": 2,
        "state": "pending", "after_the_fact": False, "cycle": 1}
    own = estate.decide("bob", ref)
    assert own.status_code == 409 and "no self-approval" in own.json["detail"]
    assert estate.decide("carol", ref, comment="Fine by quality").status_code == 201
    assert estate.api.get(f"/api/v1/changes/{ref}").json["status"] == "assessment"  # one of two
    assert status(estate, ref)["needed"] == 1 and status(estate, ref)["approved_by"] == ["carol"]
    twice = estate.decide("carol", ref)
    assert twice.status_code == 409 and "already approved" in twice.json["detail"]
    assert estate.decide("dave", ref).status_code == 201
    body = estate.api.get(f"/api/v1/changes/{ref}").json
    assert body["status"] == "approved"
    assert status(estate, ref)["state"] == "approved" and status(estate, ref)["needed"] == 0
    channels = [a["channel"] for a in estate.api.get(f"/api/v1/changes/{ref}/approvals").json]
    assert channels == ["api", "api"]


def test_someone_outside_the_board_cannot_decide(estate: Estate) -> None:
    ref = estate.change("bob")
    estate.to_assessment(ref)
    outsider = estate.decide("alice", ref)  # an admin, but not on the board
    assert outsider.status_code == 409 and "not a member of cab" in outsider.json["detail"]


def test_a_rejection_needs_a_reason_and_decides_at_once(estate: Estate) -> None:
    ref = estate.change("bob")
    estate.to_assessment(ref)
    assert estate.decide("carol", ref).status_code == 201
    bare = estate.decide("dave", ref, "rejected")
    assert bare.status_code == 422 and "Say why the change is rejected" in str(bare.json)
    assert estate.decide("dave", ref, "rejected", comment="Not during the audit week").status_code == 201
    assert estate.api.get(f"/api/v1/changes/{ref}").json["status"] == "rejected"
    assert status(estate, ref)["rejected_by"] == [{"name": "dave", "reason": "Not during the audit week"}]


def test_a_reworked_change_is_assessed_afresh(estate: Estate) -> None:
    ref = estate.change("bob")
    estate.to_assessment(ref)
    estate.decide("carol", ref)
    estate.decide("dave", ref, "rejected", comment="Plan the rollback first")
    assert estate.client("bob").post(f"/api/v1/changes/{ref}/transitions", json={"to": "draft"}).status_code == 200
    estate.to_assessment(ref)
    fresh = status(estate, ref)
    assert (fresh["cycle"], fresh["approved_by"], fresh["rejected_by"], fresh["needed"]) == (2, [], [], 2)
    assert estate.decide("carol", ref).status_code == 201  # carol decides again in the new round
    assert estate.decide("dave", ref).status_code == 201
    assert estate.api.get(f"/api/v1/changes/{ref}").json["status"] == "approved"


def test_the_risk_policy_wins_over_the_types(estate: Estate) -> None:
    made = estate.api.post("/api/v1/groups", json={"slug": "board-high", "name": "High-risk board",
                                                   "members": ["carol"]})
    assert made.status_code == 201
    assert estate.api.post("/api/v1/admin/approval-policies", json={
        "change_type": "normal", "risk": "high", "group": "board-high", "quorum": 1}).status_code == 201
    ref = estate.change("bob", risk="high")
    estate.to_assessment(ref)
    assert status(estate, ref)["group"] == "board-high"
    assert estate.decide("dave", ref).status_code == 409
    assert estate.decide("carol", ref).status_code == 201
    assert estate.api.get(f"/api/v1/changes/{ref}").json["status"] == "approved"


def test_policies_are_checked(estate: Estate) -> None:
    api = estate.api
    too_many = api.post("/api/v1/admin/approval-policies", json={"change_type": "emergency", "group": "cab",
                                                                  "quorum": 4})
    assert too_many.status_code == 422 and "could never be met" in str(too_many.json)
    no_group = api.post("/api/v1/admin/approval-policies", json={"change_type": "emergency", "group": "nope"})
    assert no_group.status_code == 422 and "group" in no_group.json["errors"]
    twice = api.post("/api/v1/admin/approval-policies", json={"change_type": "normal", "group": "cab"})
    assert twice.status_code == 409
    policy = api.get("/api/v1/admin/approval-policies").json[0]
    assert (policy["group"], policy["quorum"], policy["members"]) == ("cab", 2, 3)
    assert api.patch(f"/api/v1/admin/approval-policies/{policy['id']}", json={"quorum": 3}).json["quorum"] == 3
    assert api.delete(f"/api/v1/admin/approval-policies/{policy['id']}").status_code == 204
    assert api.get("/api/v1/admin/approval-policies").json == []
    agent = estate.people["carol"].get("/api/v1/admin/approval-policies")
    assert agent.status_code == 403
