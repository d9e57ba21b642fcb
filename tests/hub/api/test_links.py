"""Links between tickets through the API: related, parent and child, caused by; refused where wrong."""

from __future__ import annotations

from typing import Any


def incident(api: Any, title: str = "Boiler in hall 2 is down") -> str:
    return str(api.post("/api/v1/incidents", json={"title": title}).json["ref"])


def change(api: Any) -> str:
    return str(api.post("/api/v1/changes", json={"title": "Replace the boiler's burner", "type": "normal"}).json["ref"])


def links(api: Any, ref: str, plural: str = "incidents") -> list[dict[str, Any]]:
    answer = api.get(f"/api/v1/{plural}/{ref}/links")
    assert answer.status_code == 200, answer.json
    return list(answer.json)


def test_a_link_reads_right_from_both_tickets(api: Any) -> None:
    parent, child = incident(api, "Hall 2 has no heating"), incident(api, "Room 214 is cold")
    made = api.post(f"/api/v1/incidents/{child}/links", json={"kind": "child_of", "ref": parent})
    assert made.status_code == 201, made.json
    assert [(link["kind"], link["words"], link["ref"]) for link in made.json] == [("child_of", "child of", parent)]
    assert [(link["kind"], link["ref"], link["removable"]) for link in links(api, parent)] == [
        ("parent_of", child, True)]
    trail = api.get(f"/api/v1/incidents/{parent}/audit").json
    assert trail[-1]["action"] == "linked" and trail[-1]["changes"]["link"] == f"parent of {child}"


def test_an_incident_caused_by_a_change(api: Any) -> None:
    cause, hurt = change(api), incident(api)
    assert api.post(f"/api/v1/incidents/{hurt}/links", json={"kind": "caused_by", "ref": cause}).status_code == 201
    assert [(link["kind"], link["ref"]) for link in links(api, cause, "changes")] == [("caused", hurt)]
    wrong = api.post(f"/api/v1/incidents/{incident(api, 'x')}/links", json={"kind": "caused_by", "ref": hurt})
    assert wrong.status_code == 422 and "change that caused it" in str(wrong.json)


def test_wrong_links_are_refused_readably(api: Any) -> None:
    one, two, three = incident(api, "one"), incident(api, "two"), incident(api, "three")
    assert api.post(f"/api/v1/incidents/{one}/links", json={"kind": "related", "ref": one}).status_code == 422
    missing = api.post(f"/api/v1/incidents/{one}/links", json={"kind": "related", "ref": "INC-999999"})
    assert missing.status_code == 422 and "No ticket" in str(missing.json)
    bad_kind = api.post(f"/api/v1/incidents/{one}/links", json={"kind": "sibling", "ref": two})
    assert bad_kind.status_code == 422
    assert api.post(f"/api/v1/incidents/{one}/links", json={"kind": "parent_of", "ref": two}).status_code == 201
    again = api.post(f"/api/v1/incidents/{two}/links", json={"kind": "related", "ref": one})
    assert again.status_code == 409 and "linked already" in again.json["detail"]
    assert api.post(f"/api/v1/incidents/{two}/links", json={"kind": "parent_of", "ref": three}).status_code == 201
    loop = api.post(f"/api/v1/incidents/{three}/links", json={"kind": "parent_of", "ref": one})
    assert loop.status_code == 422 and "its own ancestor" in str(loop.json)


def test_a_link_is_removed_and_both_trails_say_so(api: Any) -> None:
    one, two = incident(api, "one"), incident(api, "two")
    (link,) = api.post(f"/api/v1/incidents/{one}/links", json={"kind": "related", "ref": two}).json
    assert api.delete(f"/api/v1/incidents/{two}/links/{link['id']}").status_code == 204
    assert links(api, one) == [] and links(api, two) == []
    assert api.delete(f"/api/v1/incidents/{two}/links/{link['id']}").status_code == 404
    assert [event["action"] for event in api.get(f"/api/v1/incidents/{one}/audit").json][-2:] == ["linked",
                                                                                                   "unlinked"]


def test_a_merge_shows_among_the_links_and_cannot_be_unlinked_there(api: Any) -> None:
    main, duplicate = incident(api, "main"), incident(api, "duplicate")
    assert api.post(f"/api/v1/incidents/{duplicate}/merge", json={"into": main}).status_code == 200
    (seen,) = links(api, duplicate)
    assert (seen["kind"], seen["ref"], seen["id"], seen["removable"]) == ("duplicate_of", main, None, False)
    assert [(link["kind"], link["ref"]) for link in links(api, main)] == [("duplicates", duplicate)]


def test_links_are_for_staff(api: Any, anonymous: Any) -> None:
    ref = incident(api)
    assert anonymous.get(f"/api/v1/incidents/{ref}/links").status_code == 401
