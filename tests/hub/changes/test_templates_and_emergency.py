"""Standard changes come approved from the admins' catalogue; emergency changes are carried out
first and approved after the fact."""

from __future__ import annotations

from tests.hub.changes.conftest import END, START, Estate

TEMPLATE = {"slug": "filter-swap", "title": "Swap the filler's filter cartridge",
            "description": "Routine swap of the CIP filter.", "risk": "low",
            "plan": "1. Stop the filler. 2. Swap. 3. Run the CIP check."}


def test_a_change_from_a_template_is_an_approved_standard_change(estate: Estate) -> None:
    api = estate.api
    made = api.post("/api/v1/admin/change-templates", json=TEMPLATE)
    assert made.status_code == 201, made.json
    assert [t["slug"] for t in estate.people["bob"].get("/api/v1/change-templates").json] == ["filter-swap"]
    change = estate.people["bob"].post("/api/v1/changes/from-template", json={
        "template": "filter-swap", "ci": "plant-a/line-3/filler-2", "planned_start": START, "planned_end": END,
        "description": "Cartridge lot 42."})
    assert change.status_code == 201, change.json
    body = change.json
    assert (body["status"], body["type"], body["risk"], body["title"]) == (
        "approved", "standard", "low", TEMPLATE["title"])
    assert body["description"] == "Routine swap of the CIP filter.\n\nCartridge lot 42."
    assert body["custom_fields"] == {"template": "filter-swap", "plan": TEMPLATE["plan"]}
    trail = api.get(f"/api/v1/changes/{body['ref']}/audit").json
    assert trail[0]["note"].startswith("Created in state approved. Pre-approved by the standard change template")
    assert trail[1]["action"] == "approval" and trail[1]["changes"]["template"] == "filter-swap"
    # The template owns the title and the risk.
    refused = estate.people["bob"].post("/api/v1/changes/from-template", json={"template": "filter-swap",
                                                                              "risk": "high"})
    assert refused.status_code == 422
    # Used once, it is retired rather than deleted.
    template_id = made.json["id"]
    assert api.delete(f"/api/v1/admin/change-templates/{template_id}").status_code == 409
    assert api.patch(f"/api/v1/admin/change-templates/{template_id}", json={"active": False}).json["active"] is False
    assert estate.people["bob"].get("/api/v1/change-templates").json == []
    retired = estate.people["bob"].post("/api/v1/changes/from-template", json={"template": "filter-swap"})
    assert retired.status_code == 409 and "retired" in retired.json["detail"]


def test_templates_are_checked_and_admins_only(estate: Estate) -> None:
    api = estate.api
    bad = api.post("/api/v1/admin/change-templates", json={"slug": "Bad Slug", "title": "", "risk": "extreme"})
    assert bad.status_code == 422 and {"slug", "title", "risk"} <= set(bad.json["errors"])
    assert api.post("/api/v1/admin/change-templates", json=TEMPLATE).status_code == 201
    assert api.post("/api/v1/admin/change-templates", json=TEMPLATE).status_code == 422  # the slug is taken
    assert estate.people["bob"].post("/api/v1/admin/change-templates", json=TEMPLATE).status_code == 403
    unused = api.post("/api/v1/admin/change-templates", json={**TEMPLATE, "slug": "unused"}).json["id"]
    assert api.delete(f"/api/v1/admin/change-templates/{unused}").status_code == 204
    missing = estate.people["bob"].post("/api/v1/changes/from-template", json={"template": "nope"})
    assert missing.status_code == 404


def test_an_emergency_change_is_implemented_first_and_approved_after_the_fact(estate: Estate) -> None:
    api = estate.api
    assert api.post("/api/v1/admin/approval-policies", json={"change_type": "emergency", "group": "cab",
                                                             "quorum": 1}).status_code == 201
    ref = estate.change("bob", type="emergency", risk="high", title="Bypass the failed valve on line 3")
    bob = estate.people["bob"]
    assert bob.post(f"/api/v1/changes/{ref}/transitions", json={"to": "submitted"}).status_code == 200
    assert bob.post(f"/api/v1/changes/{ref}/transitions", json={"to": "implementing"}).status_code == 200
    standing = api.get(f"/api/v1/changes/{ref}/approval-status").json
    assert standing["after_the_fact"] is True and standing["state"] == "pending"
    assert estate.decide("bob", ref).status_code == 409  # still not its author
    late = estate.decide("carol", ref, comment="Right call")
    assert late.status_code == 201 and late.json["after_the_fact"] is True
    body = api.get(f"/api/v1/changes/{ref}").json
    assert body["status"] == "implementing"  # the decision moves it nowhere: the work is done or under way
    standing = api.get(f"/api/v1/changes/{ref}/approval-status").json
    assert (standing["state"], standing["after_the_fact"]) == ("approved", True)
    note = next(e for e in api.get(f"/api/v1/changes/{ref}/audit").json if e["action"] == "approval")["note"]
    assert "after the fact" in note


def test_a_normal_change_is_never_implemented_before_approval(estate: Estate) -> None:
    ref = estate.change("bob")
    estate.to_assessment(ref)
    refused = estate.people["bob"].post(f"/api/v1/changes/{ref}/transitions", json={"to": "implementing"})
    assert refused.status_code == 409 and "emergency" in refused.json["detail"]
