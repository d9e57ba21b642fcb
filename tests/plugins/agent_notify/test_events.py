"""Every event reaches the people it concerns, in the list in the hub, and never the one who caused it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.sdk.actors import Actor


def test_a_new_ticket_in_a_group_reaches_its_members_only(team: Any) -> None:
    ref = team.incident(group="quality")
    assert team.kinds("bob") == [("new_in_group", ref)]
    assert team.kinds("carol") == [("new_in_group", ref)]
    assert team.kinds("dave") == [] and team.kinds("alice") == []
    (row,) = team.inbox("bob")
    assert row.text == f"New in quality: {ref} Filler on line 3 stops every hour" and row.actor == "alice"
    assert row.read_at is None


def test_nobody_hears_of_their_own_doing(team: Any) -> None:
    ref = team.incident(team.client("bob"), group="quality")
    assert team.kinds("bob") == []
    assert team.kinds("carol") == [("new_in_group", ref)]
    team.client("dave").patch(f"/api/v1/incidents/{ref}", json={"assignee": "dave"})
    assert team.kinds("dave") == []


def test_a_department_with_one_group_hears_of_its_unrouted_tickets(team: Any) -> None:
    ref = team.incident(department="quality")
    assert team.kinds("bob") == [("new_in_group", ref)]
    team.api.post("/api/v1/groups", json={"slug": "lab", "name": "Lab", "department": "quality"})
    team.incident(department="quality")
    assert len(team.kinds("bob")) == 1  # two groups: none of them is the department's own


def test_assigned_to_me_on_creation_and_on_reassignment(team: Any) -> None:
    ref = team.incident(group="quality", assignee="carol")
    assert team.kinds("carol") == [("assigned", ref)]  # once, by the event that matters most
    assert team.kinds("bob") == [("new_in_group", ref)]
    response = team.api.patch(f"/api/v1/incidents/{ref}", json={"assignee": "dave"})
    assert response.status_code == 200, response.json
    (row,) = team.inbox("dave")
    assert (row.kind, row.text) == ("assigned", f"alice assigned {ref} to you: Filler on line 3 stops every hour")
    team.api.patch(f"/api/v1/incidents/{ref}", json={"title": "Filler on line 3 stopped"})
    assert len(team.inbox("dave")) == 1  # other fields tell nobody


def test_moving_a_ticket_to_a_group_tells_the_group(team: Any) -> None:
    ref = team.incident()
    assert team.kinds("bob") == []
    team.api.patch(f"/api/v1/incidents/{ref}", json={"group": "quality"})
    assert [row.text for row in team.inbox("bob")] == [f"Moved to quality: {ref} Filler on line 3 stops every hour"]


def requester_reply(app: Any, ref: str, body: str) -> None:
    from hub.app import services

    with app.extensions["hub"].db.transaction() as session:
        services.add_comment(session, ref, body, Actor.requester("Gina Guest"))


def test_a_requester_reply_reaches_the_assignee_else_the_group(app: Any, team: Any) -> None:
    ref = team.incident(group="quality", requester={"name": "Gina Guest", "email": "gina@example.org"})
    requester_reply(app, ref, "It stopped again at 03:10. Tell @dave.")
    replies = [row for row in team.inbox("bob") if row.kind == "requester_replied"]
    assert [row.text for row in replies] == [f"Gina Guest replied on {ref}: It stopped again at 03:10. Tell @dave."]
    assert team.kinds("dave") == []  # a requester mentions nobody
    team.api.patch(f"/api/v1/incidents/{ref}", json={"assignee": "carol"})
    requester_reply(app, ref, "And at 04:00.")
    assert [row.kind for row in team.inbox("carol")][:2] == ["requester_replied", "assigned"]
    assert len([row for row in team.inbox("bob") if row.kind == "requester_replied"]) == 1


def test_a_mention_reaches_the_agent_named(team: Any) -> None:
    ref = team.incident()
    response = team.api.post(f"/api/v1/incidents/{ref}/comments", json={
        "body": "@dave can you look at the sensor? Mail the vendor at support@dave.example, cc @carol.",
        "visibility": "internal"})
    assert response.status_code == 201, response.json
    assert [row.text[:30] for row in team.inbox("dave")] == [f"alice mentioned you on {ref}:"[:30]]
    assert team.kinds("carol") == [("mentioned", ref)]
    assert team.kinds("bob") == []
    team.client("dave").post(f"/api/v1/incidents/{ref}/comments", json={"body": "Sure, @dave here."})
    assert len(team.inbox("dave")) == 1  # mentioning oneself tells nobody


def test_mentions_are_read_from_text() -> None:
    from plugins.agent_notify.events import mentioned

    assert mentioned("@bob, ask @carol.smith. Not jane@example.com, nor @@x; @bob again") == ["bob", "carol.smith"]
    assert mentioned("(@dave)") == ["dave"]


def test_a_change_in_assessment_reaches_its_approvers(team: Any) -> None:
    response = team.api.post("/api/v1/changes", json={
        "title": "Replace the filler's valve", "type": "normal", "group": "quality",
        "requester": {"name": "Carol", "email": "carol@hub.test"}})
    assert response.status_code == 201, response.json
    ref = response.json["ref"]
    for state in ("submitted", "assessment"):
        moved = team.api.post(f"/api/v1/changes/{ref}/transitions", json={"to": state})
        assert moved.status_code == 200, moved.json
    # Its group hears of it once submitted (not while a draft), then who may approve it.
    assert team.kinds("bob") == [("approval_needed", ref), ("new_in_group", ref)]
    assert team.kinds("carol") == [("new_in_group", ref)]  # she asked for it: she cannot approve it


def test_a_change_with_an_approval_board_asks_its_members_but_the_author(team: Any, app: Any) -> None:
    from tests.plugins.agent_notify.conftest import add_person

    add_person(app, "erin")
    assert team.api.post("/api/v1/groups", json={"slug": "cab", "name": "CAB",
                                                 "members": ["dave", "erin", "carol"]}).status_code == 201
    assert team.api.post("/api/v1/admin/approval-policies", json={"change_type": "normal", "group": "cab",
                                                                  "quorum": 2}).status_code == 201
    carol = team.client("carol")
    ref = carol.post("/api/v1/changes", json={"title": "Replace the filler's valve", "type": "normal",
                                              "group": "quality"}).json["ref"]
    for state in ("submitted", "assessment"):
        assert carol.post(f"/api/v1/changes/{ref}/transitions", json={"to": state}).status_code == 200
    # The board hears it awaits them, not the change's group (bob) nor its author (carol, on the board).
    assert ("approval_needed", ref) in team.kinds("dave") and ("approval_needed", ref) in team.kinds("erin")
    assert ("approval_needed", ref) not in team.kinds("bob") + team.kinds("carol")


def test_a_change_with_no_group_asks_the_admins(team: Any, app: Any) -> None:
    from tests.plugins.agent_notify.conftest import add_person

    add_person(app, "erin", role="admin")
    response = team.client("dave").post("/api/v1/changes", json={"title": "New label printer", "type": "normal"})
    ref = response.json["ref"]
    for state in ("submitted", "assessment"):
        team.client("dave").post(f"/api/v1/changes/{ref}/transitions", json={"to": state})
    assert team.kinds("erin") == [("approval_needed", ref)] and team.kinds("alice") == [("approval_needed", ref)]
    assert team.kinds("dave") == []


def emit(app: Any, hook: str, ref: str, **kwargs: Any) -> None:
    from hub.sdk import tracker

    with app.extensions["hub"].db.transaction() as session:
        tracker.emit(session, hook, ref, **kwargs)


def test_sla_warning_and_breach_reach_the_assignee_else_the_group(app: Any, team: Any) -> None:
    ref = team.incident(group="quality")
    due = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
    emit(app, "sla_warning", ref, target="response", due_at=due)
    assert team.inbox("carol")[0].text == (
        f"{ref}: the response target is due 2026-12-05 14:30 UTC: Filler on line 3 stops every hour")
    team.api.patch(f"/api/v1/incidents/{ref}", json={"assignee": "dave"})
    emit(app, "sla_breached", ref, target="resolution", due_at=due)
    assert [row.kind for row in team.inbox("dave")] == ["sla_breached", "assigned"]
    assert [row.kind for row in team.inbox("carol")] == ["sla_warning", "new_in_group"]
