"""Major incidents through the API (issue 22 point 3): promote and demote, children attached by hand
and by rule, public updates repeated once on each child, and the major's resolution handed down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.models import Comment, ConfigurationItem, Ticket
from hub.sdk.actors import Actor

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def pump(runtime: Any) -> str:
    """Configuration item "pump-7"."""
    with runtime.db.transaction() as session:
        session.add(ConfigurationItem(key="pump-7", name="Pump 7", kind="machine"))
    return "pump-7"


def incident(api: Any, title: str, **values: Any) -> str:
    made = api.post("/api/v1/incidents", json={"title": title, **values})
    assert made.status_code == 201, made.json
    return str(made.json["ref"])


def major_with(api: Any, count: int, **values: Any) -> tuple[str, list[str]]:
    major = incident(api, "Mail is down for everyone", **values)
    assert api.post(f"/api/v1/incidents/{major}/major", json={}).status_code == 200
    children = [incident(api, f"I cannot send mail ({n})", requester={"name": f"P{n}", "email": f"p{n}@example.com"})
                for n in range(count)]
    attached = api.post(f"/api/v1/incidents/{major}/children", json={"refs": children})
    assert attached.status_code == 200, attached.json
    return major, children


def actions(api: Any, ref: str) -> list[tuple[str, dict[str, Any], str | None]]:
    return [(e["action"], e["changes"], e["note"]) for e in api.get(f"/api/v1/incidents/{ref}/audit").json]


def test_promote_attach_detach_and_demote(api: Any) -> None:
    major, children = major_with(api, 3)
    shown = api.get(f"/api/v1/incidents/{major}").json
    assert shown["major"] is True and shown["major_incident"] is None
    assert api.get(f"/api/v1/incidents/{children[0]}").json["major_incident"] == major
    state = api.get(f"/api/v1/incidents/{major}/major").json
    assert state["children_count"] == 3 and state["open_children"] == 3 and state["by_status"] == {"new": 3}
    assert [child["ref"] for child in state["children"]] == children
    assert ("major_promoted", {"major": [False, True]}, None) in actions(api, major)
    assert ("major_attached", {"major_incident": [None, major]}, None) in actions(api, children[0])
    # Attaching again is no change; the answer says nothing was newly attached.
    again = api.post(f"/api/v1/incidents/{major}/children", json={"refs": [children[0].lower()]})
    assert again.status_code == 200 and again.json["attached"] == [] and again.json["children_count"] == 3
    # Promoting again changes nothing either.
    assert api.post(f"/api/v1/incidents/{major}/major", json={"note": "again"}).status_code == 200
    assert [a for a, _, _ in actions(api, major)].count("major_promoted") == 1

    assert api.delete(f"/api/v1/incidents/{major}/children/{children[0]}").status_code == 204
    gone = api.delete(f"/api/v1/incidents/{major}/children/{children[0]}")
    assert gone.status_code == 404 and gone.headers["Content-Type"] == PROBLEM_JSON
    assert api.get(f"/api/v1/incidents/{major}/major").json["children_count"] == 2
    assert api.delete(f"/api/v1/incidents/{major}/major").status_code == 204
    assert api.get(f"/api/v1/incidents/{children[1]}").json["major_incident"] is None
    assert ("major_detached", {"major_incident": [major, None]}, f"{major} was demoted.") in actions(api, children[1])
    refused = api.delete(f"/api/v1/incidents/{major}/major")
    assert refused.status_code == 409 and refused.headers["Content-Type"] == PROBLEM_JSON


def test_refusals_are_problem_json(api: Any) -> None:
    change = api.post("/api/v1/changes", json={"title": "New mail server"}).json["ref"]
    wrong_kind = api.post(f"/api/v1/incidents/{change}/major", json={})
    assert wrong_kind.status_code == 422 and wrong_kind.headers["Content-Type"] == PROBLEM_JSON
    assert "only an incident" in wrong_kind.json["errors"]["ref"][0]
    assert api.post(f"/api/v1/changes/{change}/major", json={}).status_code in (404, 405)
    assert api.post("/api/v1/incidents/INC-999999/major", json={}).status_code == 404

    major, (child,) = major_with(api, 1)
    other = incident(api, "Printers are down")
    api.post(f"/api/v1/incidents/{other}/major", json={})
    # A child is not promoted, a major is not attached, nothing is attached to itself or twice over.
    assert api.post(f"/api/v1/incidents/{child}/major", json={}).status_code == 409
    for refs, words in (([other], "major incident itself"), ([major], "its own child"), ([change], "only incidents"),
                        (["INC-424242"], "no such ticket")):
        refused = api.post(f"/api/v1/incidents/{major}/children", json={"refs": refs})
        assert refused.status_code == 422 and refused.headers["Content-Type"] == PROBLEM_JSON, refused.json
        assert words in refused.json["errors"]["refs"][0]
    taken = api.post(f"/api/v1/incidents/{other}/children", json={"refs": [child]})
    assert taken.status_code == 422 and f"already a child of {major}" in taken.json["errors"]["refs"][0]
    # All or nothing: one bad reference attaches none of the good ones.
    fresh = incident(api, "Mail bounces")
    assert api.post(f"/api/v1/incidents/{major}/children", json={"refs": [fresh, other]}).status_code == 422
    assert api.get(f"/api/v1/incidents/{fresh}").json["major_incident"] is None
    plain = incident(api, "Not major")
    assert api.post(f"/api/v1/incidents/{plain}/children", json={"refs": [fresh]}).status_code == 409
    assert api.post(f"/api/v1/incidents/{major}/children", json={"refs": []}).status_code == 422
    assert api.post(f"/api/v1/incidents/{major}/children", json={"refs": [fresh], "x": 1}).status_code == 422
    # A closed incident is not promoted.
    api.post(f"/api/v1/incidents/{plain}/transitions", json={"to": "cancelled"})
    assert api.post(f"/api/v1/incidents/{plain}/major", json={}).status_code == 409


def test_requesters_and_readers(api: Any, client_for: Any) -> None:
    major, _ = major_with(api, 1)
    reader = client_for("requester", "rita", "rita@example.com")
    assert reader.get(f"/api/v1/incidents/{major}/major").status_code == 403
    assert reader.post(f"/api/v1/incidents/{major}/major", json={}).status_code == 403
    agent = client_for("agent", "ann")
    assert agent.get(f"/api/v1/incidents/{major}/major").status_code == 200


def test_a_public_update_reaches_each_child_once(api: Any, runtime: Any) -> None:
    major, children = major_with(api, 4)
    api.post(f"/api/v1/incidents/{children[3]}/transitions", json={"to": "cancelled"})
    said = api.post(f"/api/v1/incidents/{major}/comments", json={"body": "We found the fault; mail is back by 14:00."})
    assert said.status_code == 201, said.json
    api.post(f"/api/v1/incidents/{major}/comments", json={"body": "The router again.", "visibility": "internal"})
    with runtime.db.reading() as session:
        copies = session.execute(select(Ticket.ref, Comment.body, Comment.visibility, Comment.author_name)
                                 .join(Ticket, Ticket.id == Comment.ticket_id)
                                 .where(Comment.relayed_from_id == said.json["id"]).order_by(Ticket.id)).all()
    assert [row.ref for row in copies] == children[:3]  # the cancelled child is not written to again
    assert {(row.body, row.visibility, row.author_name) for row in copies} == {
        ("We found the fault; mail is back by 14:00.", "public", "alice")}
    for child in children[:3]:
        bodies = [c["body"] for c in api.get(f"/api/v1/incidents/{child}/comments").json]
        assert bodies == ["We found the fault; mail is back by 14:00."]  # the internal note stayed on the major
    # A retry of the relay tells nobody twice.
    from hub.tracker.major_updates import relay_update

    with runtime.db.transaction() as session:
        row = session.scalar(select(Ticket).where(Ticket.ref == major))
        comment = session.get(Comment, said.json["id"])
        assert relay_update(session, major=row, comment=comment, actor=Actor.system()) == 0
    # A relay cut short (one child's copy missing) is completed by the retry, for that child only.
    with runtime.db.transaction() as session:
        copy = session.scalar(select(Comment).join(Ticket, Ticket.id == Comment.ticket_id)
                              .where(Comment.relayed_from_id == said.json["id"], Ticket.ref == children[1]))
        session.delete(copy)
    with runtime.db.transaction() as session:
        row = session.scalar(select(Ticket).where(Ticket.ref == major))
        assert relay_update(session, major=row, comment=session.get(Comment, said.json["id"]),
                            actor=Actor.system()) == 1
    with runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Comment)
                              .where(Comment.relayed_from_id == said.json["id"])) == 3
    assert any(a == "major_update_relayed" and c["children"] == 3 for a, c, _ in actions(api, major))


def test_a_requesters_own_reply_on_the_major_stays_there(api: Any, runtime: Any) -> None:
    major, children = major_with(api, 2)
    from hub.tracker.comments import add_comment

    with runtime.db.transaction() as session:
        row = session.scalar(select(Ticket).where(Ticket.ref == major))
        add_comment(session=session, ticket=row, body="Still broken here.", actor=Actor.requester("Bob"))
    assert api.get(f"/api/v1/incidents/{children[0]}/comments").json == []


def test_resolving_the_major_resolves_its_open_children(api: Any) -> None:
    major, children = major_with(api, 3)
    api.post(f"/api/v1/incidents/{children[1]}/transitions", json={"to": "resolved", "resolution": "Own fix."})
    api.post(f"/api/v1/incidents/{children[2]}/transitions", json={"to": "cancelled"})
    moved = api.post(f"/api/v1/incidents/{major}/transitions", json={"to": "resolved",
                                                                     "resolution": "Router replaced."})
    assert moved.status_code == 200, moved.json
    first = api.get(f"/api/v1/incidents/{children[0]}").json
    assert first["status"] == "resolved" and first["resolution"] == "Router replaced."
    assert any(a == "transitioned" and n == f"With major incident {major}." for a, _, n in actions(api, children[0]))
    assert api.get(f"/api/v1/incidents/{children[1]}").json["resolution"] == "Own fix."
    assert api.get(f"/api/v1/incidents/{children[2]}").json["status"] == "cancelled"
    # Closing hands down too; a resolved major takes no more children.
    assert api.post(f"/api/v1/incidents/{major}/transitions", json={"to": "closed"}).status_code == 200
    assert [api.get(f"/api/v1/incidents/{ref}").json["status"] for ref in children] == ["closed", "closed",
                                                                                        "cancelled"]
    late = incident(api, "Mail still down?")
    assert api.post(f"/api/v1/incidents/{major}/children", json={"refs": [late]}).status_code == 409


def test_closing_an_open_major_resolves_then_closes_its_children(api: Any) -> None:
    major, children = major_with(api, 1)
    api.post(f"/api/v1/incidents/{major}/transitions", json={"to": "resolved", "resolution": "Fixed."})
    api.post(f"/api/v1/incidents/{children[0]}/transitions", json={"to": "in_progress"})  # the child reopened
    api.post(f"/api/v1/incidents/{major}/transitions", json={"to": "closed"})
    child = api.get(f"/api/v1/incidents/{children[0]}").json
    assert child["status"] == "closed" and child["resolution"] == "Fixed."


def test_new_incidents_of_the_same_item_or_key_are_attached_by_rule(api: Any, runtime: Any, pump: str) -> None:
    major = incident(api, "Pump 7 failed: line 2 stopped", ci=pump)
    api.post(f"/api/v1/incidents/{major}/major", json={})
    same_item = incident(api, "No water on line 2", ci=pump)
    assert api.get(f"/api/v1/incidents/{same_item}").json["major_incident"] == major
    note = next(n for a, _, n in actions(api, same_item) if a == "major_attached")
    assert note and "same configuration item" in note and major in note and "240 minutes" in note
    assert any(a == "major_children_attached" and c == {"children": [same_item]} and n == note
               for a, c, n in actions(api, major))
    unrelated = incident(api, "Canteen is cold")
    assert api.get(f"/api/v1/incidents/{unrelated}").json["major_incident"] is None

    from hub.tracker.tickets import create_ticket

    with runtime.db.transaction() as session:
        session.scalar(select(Ticket).where(Ticket.ref == major)).correlation_key = "plant/line2/pump7/E1"
    with runtime.db.transaction() as session:
        by_key = create_ticket(session=session, kind="incident", values={"title": "Alarm E1"},
                               actor=Actor.system(), correlation_key="plant/line2/pump7/E1")
        assert by_key.major_incident_id is not None
    # Outside the window (promoted five hours ago), nothing is attached.
    with runtime.db.transaction() as session:
        row = session.scalar(select(Ticket).where(Ticket.ref == major))
        row.major_at = row.major_at - timedelta(hours=5)
    late = incident(api, "Pump 7 again", ci=pump)
    assert api.get(f"/api/v1/incidents/{late}").json["major_incident"] is None


def test_the_rule_can_be_switched_off(app: Any, api: Any, pump: str) -> None:
    app.extensions["hub"].settings["MAJOR_ATTACH_MINUTES"] = 0
    major = incident(api, "Pump 7 failed", ci=pump)
    api.post(f"/api/v1/incidents/{major}/major", json={})
    assert api.get(f"/api/v1/incidents/{incident(api, 'Line 2 dry', ci=pump)}").json["major_incident"] is None
