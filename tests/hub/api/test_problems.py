"""Problems through the API (issue 22 point 2): PRB- numbers, the lifecycle and its guards, opening
one from incidents, and a known error's workaround on each matching incident, new ones too."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.models import ConfigurationItem, Ticket


@pytest.fixture
def filler(runtime: Any) -> str:
    """Configuration item "filler-3" (Filler 3 on Line 3)."""
    with runtime.db.transaction() as session:
        session.add(ConfigurationItem(key="filler-3", name="Filler 3", kind="machine"))
    return "filler-3"


def alarm(api: Any, runtime: Any, title: str, *, ci: str | None = None, key: str | None = None) -> str:
    """An incident as an alarm makes it: on an item, with a correlation key."""
    ref = str(api.post("/api/v1/incidents", json={"title": title, **({"ci": ci} if ci else {})}).json["ref"])
    if key:
        with runtime.db.transaction() as session:
            session.scalar(select(Ticket).where(Ticket.ref == ref)).correlation_key = key
    return ref


def move(api: Any, ref: str, to: str, **extra: Any) -> Any:
    return api.post(f"/api/v1/problems/{ref}/transitions", json={"to": to, **extra})


def test_a_problem_has_its_own_numbers_and_lifecycle(api: Any) -> None:
    api.post("/api/v1/incidents", json={"title": "Boiler down"})
    made = api.post("/api/v1/problems", json={"title": "Boilers trip on low water pressure"})
    assert made.status_code == 201, made.json
    assert made.json["ref"] == "PRB-000001" and made.json["kind"] == "problem" and made.json["status"] == "new"
    assert made.headers["Location"].endswith("/api/v1/problems/PRB-000001")
    assert made.json["allowed_transitions"] == ["investigating", "cancelled"]
    assert api.post("/api/v1/problems", json={"title": "Second"}).json["ref"] == "PRB-000002"
    assert api.post("/api/v1/incidents", json={"title": "Next incident"}).json["ref"] == "INC-000002"
    assert api.get("/api/v1/incidents/PRB-000001").status_code == 404
    assert [t["ref"] for t in api.get("/api/v1/problems").json["items"]] == ["PRB-000002", "PRB-000001"]

    assert move(api, "PRB-000001", "investigating").status_code == 200
    refused = move(api, "PRB-000001", "known_error")
    assert refused.status_code == 409 and "workaround" in refused.json["detail"]
    patched = api.patch("/api/v1/problems/PRB-000001", json={"workaround": "Refill and reset the boiler."})
    assert patched.status_code == 200 and patched.json["workaround"] == "Refill and reset the boiler."
    assert move(api, "PRB-000001", "known_error").json["status"] == "known_error"
    no_cause = move(api, "PRB-000001", "resolved")
    assert no_cause.status_code == 409 and "root cause" in no_cause.json["detail"]
    api.patch("/api/v1/problems/PRB-000001", json={"root_cause": "The pressure valve sticks."})
    resolved = move(api, "PRB-000001", "resolved", resolution="Valves replaced.")
    assert resolved.json["status"] == "resolved" and resolved.json["resolved_at"] is not None
    assert move(api, "PRB-000001", "closed").json["closed_at"] is not None
    trail = [(e["action"], e["changes"]) for e in api.get("/api/v1/problems/PRB-000001/audit").json]
    assert ("updated", {"root_cause": [None, "The pressure valve sticks."]}) in trail
    assert [e["changes"]["status"][1] for e in api.get("/api/v1/problems/PRB-000001/audit").json
            if e["action"] == "transitioned"] == ["investigating", "known_error", "resolved", "closed"]


def test_problem_fields_belong_to_problems(api: Any) -> None:
    wrong = api.post("/api/v1/incidents", json={"title": "x", "workaround": "y"})
    assert wrong.status_code == 422 and wrong.headers["Content-Type"] == "application/problem+json"
    incident = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    assert api.patch(f"/api/v1/incidents/{incident}", json={"root_cause": "y"}).status_code == 422
    assert api.post("/api/v1/problems", json={}).status_code == 422
    assert api.post("/api/v1/problems", json={"title": "x", "type": "normal"}).status_code == 422
    assert api.post("/api/v1/problems", json={"incidents": ["CHG-000001"]}).status_code == 422


def test_a_problem_is_opened_from_incidents(api: Any, runtime: Any, filler: str) -> None:
    refs = [alarm(api, runtime, f"Filler 3 jams ({n})", ci=filler, key="line3/filler3/E42") for n in (1, 2, 3)]
    made = api.post("/api/v1/problems", json={"incidents": refs})
    assert made.status_code == 201, made.json
    problem = made.json
    assert problem["title"] == "Filler 3 jams (1) (3 incidents)"
    assert problem["ci"] == filler and problem["incident_key"] == "line3/filler3/E42"
    links = api.get(f"/api/v1/problems/{problem['ref']}/links").json
    assert sorted((link["kind"], link["ref"]) for link in links) == [("problem_of", ref) for ref in refs]
    assert [(link["kind"], link["words"]) for link in api.get(f"/api/v1/incidents/{refs[0]}/links").json] == [
        ("symptom_of", "symptom of")]
    assert api.get(f"/api/v1/incidents/{refs[0]}/audit").json[-1]["changes"] == {
        "link": f"symptom of {problem['ref']}"}
    mixed = api.post("/api/v1/problems", json={"incidents": [refs[0], "INC-999999"]})
    assert mixed.status_code == 422 and "INC-999999" in str(mixed.json)


def test_a_known_errors_workaround_is_shown_on_each_new_matching_incident(api: Any, runtime: Any,
                                                                           filler: str) -> None:
    first = alarm(api, runtime, "Filler 3 jams", ci=filler, key="line3/filler3/E42")
    problem = api.post("/api/v1/problems", json={"incidents": [first]}).json["ref"]
    assert api.get(f"/api/v1/incidents/{first}/known-errors").json == []  # not yet a known error
    api.patch(f"/api/v1/problems/{problem}", json={"workaround": "Clear the star wheel, then reset E42."})
    move(api, problem, "investigating")
    move(api, problem, "known_error")

    again = alarm(api, runtime, "Filler 3 jams again", ci=filler, key="line3/filler3/E42")
    shown = api.get(f"/api/v1/incidents/{again}/known-errors")
    assert shown.status_code == 200
    assert shown.json == [{"ref": problem, "title": "Filler 3 jams", "root_cause": None, "matched_by": "ci_and_key",
                           "workaround": "Clear the star wheel, then reset E42."}]
    assert api.get(f"/api/v1/incidents/{first}/known-errors").json[0]["matched_by"] == "link"
    other_key = alarm(api, runtime, "Filler 3 low on caps", ci=filler, key="line3/filler3/E07")
    unrelated = alarm(api, runtime, "Lobby lights")
    assert api.get(f"/api/v1/incidents/{other_key}/known-errors").json == []
    assert api.get(f"/api/v1/incidents/{unrelated}/known-errors").json == []

    api.patch(f"/api/v1/problems/{problem}", json={"root_cause": "Worn star wheel."})
    move(api, problem, "resolved")
    assert api.get(f"/api/v1/incidents/{again}/known-errors").json == []  # fixed: nothing to work around


def test_known_errors_and_problems_are_for_staff(api: Any, client_for: Any) -> None:
    requester = client_for("requester", "rita", "rita@hub.test")
    own = requester.post("/api/v1/incidents", json={"title": "My room is cold"}).json["ref"]
    assert requester.get(f"/api/v1/incidents/{own}/known-errors").status_code == 403
    assert requester.post("/api/v1/problems", json={"title": "x"}).status_code == 403
    api.post("/api/v1/problems", json={"title": "Boilers trip"})
    assert requester.get("/api/v1/problems").json["items"] == []
    assert requester.get("/api/v1/problems/PRB-000001").status_code == 404


def test_a_problem_that_comes_back_is_reopened(api: Any) -> None:
    ref = api.post("/api/v1/problems", json={"title": "Boilers trip", "root_cause": "Sticky valve"}).json["ref"]
    move(api, ref, "investigating")
    assert move(api, ref, "resolved").json["resolved_at"] is not None
    reopened = move(api, ref, "investigating")
    assert reopened.json["status"] == "investigating" and reopened.json["resolved_at"] is None
    assert api.get(f"/api/v1/problems/{ref}/audit").json[-1]["action"] == "reopened"
    assert [t["ref"] for t in api.get("/api/v1/problems?open=1").json["items"]] == [ref]
    moved = api.post("/api/v1/problems/bulk", json={"refs": [ref], "action": "tag", "tag": "boilers"})
    assert moved.status_code == 200 and moved.json["changed"] == 1
    assert api.post("/api/v1/problems/bulk", json={"refs": [ref], "action": "merge", "into": ref}).status_code == 422
