"""The change-governance pages: the admin's boards, templates and freezes, the standard-change
catalogue, the calendar, and the change page's approval standing and schedule check."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import ApiClient
from tests.hub.ui.conftest import Browser


def _estate(api: ApiClient, *members: str) -> None:
    for key, name, kind, parent in (("plant-a", "Plant A", "site", None),
                                    ("plant-a/line-3", "Line 3", "line", "plant-a")):
        assert api.post("/api/v1/configuration-items", json={"key": key, "name": name, "kind": kind,
                                                             "parent": parent}).status_code == 201
    assert api.post("/api/v1/groups", json={"slug": "cab", "name": "CAB", "members": list(members)}).status_code == 201


def test_the_admin_adds_a_board_a_template_and_a_freeze(api: ApiClient, as_role: Any) -> None:
    admin: Browser = as_role("admin")
    as_role("agent", "carol")
    as_role("agent", "dave")
    _estate(api, "carol", "dave")
    page = admin.post("/admin/changes/boards", {"change_type": "normal", "risk": "", "group": "cab", "quorum": "2"},
                      follow=True).get_data(as_text=True)
    assert "need 2 approval(s) from cab" in page and 'data-policy="normal/any"' in page and "2 of 2" in page
    refused = admin.post("/admin/changes/boards", {"change_type": "normal", "group": "cab", "quorum": "9"},
                         follow=True).get_data(as_text=True)
    assert "could never be met" in refused
    page = admin.post("/admin/changes/templates", {"title": "Swap a filter", "slug": "filter-swap", "risk": "low",
                                                   "plan": "Stop, swap, check."}, follow=True).get_data(as_text=True)
    assert 'data-template="filter-swap"' in page
    page = admin.post("/admin/changes/freezes", {"site": "plant-a", "starts_at": "2027-03-20T00:00",
                                                 "ends_at": "2027-03-23T00:00", "reason": "Customer audit"},
                      follow=True).get_data(as_text=True)
    assert "Freeze added: Customer audit." in page and "Plant A" in page
    bad = admin.post("/admin/changes/freezes", {"starts_at": "soon", "ends_at": "", "reason": ""},
                     follow=True).get_data(as_text=True)
    assert "is not a date and time" in bad
    policy_id = api.get("/api/v1/admin/approval-policies").json[0]["id"]
    freeze_id = api.get("/api/v1/admin/freeze-windows").json[0]["id"]
    admin.post(f"/admin/changes/boards/{policy_id}/delete", follow=True)
    admin.post(f"/admin/changes/freezes/{freeze_id}/delete", follow=True)
    assert api.get("/api/v1/admin/approval-policies").json == [] and api.get("/api/v1/admin/freeze-windows").json == []
    template_id = api.get("/api/v1/admin/change-templates").json[0]["id"]
    admin.post(f"/admin/changes/templates/{template_id}/active", follow=True)
    assert api.get("/api/v1/admin/change-templates").json[0]["active"] is False
    assert as_role("agent", "carol").get("/admin/changes").status_code in (302, 403)


def test_an_agent_makes_a_standard_change_from_the_catalogue(api: ApiClient, as_role: Any) -> None:
    agent: Browser = as_role("agent", "carol")
    _estate(api, "carol")
    assert api.post("/api/v1/admin/change-templates", json={"slug": "filter-swap", "title": "Swap a filter",
                                                            "plan": "Stop, swap, check."}).status_code == 201
    page = agent.text("/tickets/changes/templates")
    assert "Swap a filter" in page and "Stop, swap, check." in page
    assert "Standard changes" in agent.text("/tickets/changes")
    made = agent.post("/tickets/changes/templates", {"template": "filter-swap", "ci": "plant-a/line-3",
                                                     "planned_start": "2027-03-09T06:00",
                                                     "planned_end": "2027-03-09T07:00"})
    assert made.status_code == 302 and "/tickets/CHG-000001" in made.headers["Location"]
    page = agent.text("/tickets/CHG-000001")
    assert "pre-approved" in page and "Change pre-approved by the template filter-swap" in page
    body = api.get("/api/v1/changes/CHG-000001").json
    assert (body["status"], body["type"], body["ci"]) == ("approved", "standard", "plant-a/line-3")
    wrong = agent.post("/tickets/changes/templates", {"template": "filter-swap", "planned_start": "tomorrow"},
                       follow=True).get_data(as_text=True)
    assert "is not a date and time" in wrong


def test_the_change_page_shows_the_board_and_the_collision(app: Flask, api: ApiClient, as_role: Any,
                                                          client_for: Any) -> None:
    carol: Browser = as_role("agent", "carol")
    as_role("agent", "dave")
    _estate(api, "carol", "dave")
    api.post("/api/v1/admin/approval-policies", json={"change_type": "normal", "group": "cab", "quorum": 2})
    window = {"planned_start": "2027-03-09T06:00:00Z", "planned_end": "2027-03-09T10:00:00Z"}
    refs = []
    for title in ("Changeover", "Valve"):
        ref = api.post("/api/v1/changes", json={"title": title, "ci": "plant-a/line-3", **window}).json["ref"]
        for state in ("submitted", "assessment"):
            api.post(f"/api/v1/changes/{ref}/transitions", json={"to": state})
        refs.append(ref)
    page = carol.text(f"/tickets/{refs[0]}")
    assert "cab (2 of 2 must approve)" in page and "2 more approvals needed" in page
    assert f'data-collision="{refs[1]}"' in page and "Reason to approve despite the collision" in page
    answer = carol.post(f"/tickets/{refs[0]}/approval", {"decision": "approved"}, follow=True).get_data(as_text=True)
    assert "1 more approval needed" in answer and "Approval 1 of 2" in answer
    calendar = carol.text("/tickets/changes/calendar?date=2027-03-09&site=plant-a")
    assert calendar.count('data-ref="CHG-') == 2 and "March 2027" in calendar
    week = carol.text("/tickets/changes/calendar?date=2027-03-09&view=week&line=plant-a/line-3")
    assert "Week of 08 March 2027" in week and week.count('data-ref="CHG-') == 2
    unknown = carol.get("/tickets/changes/calendar?site=nowhere")
    assert unknown.status_code == 422 and "No configuration item" in unknown.get_data(as_text=True)
    odd = carol.text("/tickets/changes/calendar?date=not-a-date&view=year")  # falls back to this month
    assert "Change calendar" in odd


def test_an_emergency_change_shows_the_approval_form_after_the_fact(api: ApiClient, as_role: Any) -> None:
    carol: Browser = as_role("agent", "carol")
    ref = api.post("/api/v1/changes", json={"title": "Bypass valve", "type": "emergency"}).json["ref"]
    for state in ("submitted", "implementing"):
        assert api.post(f"/api/v1/changes/{ref}/transitions", json={"to": state}).status_code == 200
    page = carol.text(f"/tickets/{ref}")
    assert "this decision is recorded after the fact" in page and 'id="approval-form"' in page
    carol.post(f"/tickets/{ref}/approval", {"decision": "approved"}, follow=True)
    page = carol.text(f"/tickets/{ref}")
    assert "Change approved after the fact" in page and "(after the fact)" in page
