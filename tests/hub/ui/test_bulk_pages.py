"""The lists' bulk actions, the ticket page's merge, and what a merged ticket's pages show."""

from __future__ import annotations

import html as markup
import re
from typing import Any

import pytest
from flask import Flask

from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket
from tests.hub.ui.conftest import open_ticket


def flashes(page: str) -> list[tuple[str, str]]:
    return [(kind, markup.unescape(text)) for kind, text in re.findall(r'<p class="flash (\w+)">(.*?)</p>', page)]


def ticket(app: Flask, ref: str) -> Any:
    with app.extensions["hub"].db.reading() as session:
        found = get_ticket(session, ref)
        session.expunge(found)
        return found


@pytest.fixture
def org(app: Flask) -> None:
    from hub.models import Department, Group

    with app.extensions["hub"].db.transaction() as session:
        session.add_all([Department(slug="facilities", name="Facilities"), Group(slug="plumbers", name="Plumbers")])


def test_every_list_row_has_a_checkbox_of_the_bulk_form(app: Flask, as_role: Any) -> None:
    first = open_ticket(app, title="Boiler 2 pressure low")
    change = open_ticket(app, "change", title="Replace boiler 2")
    agent = as_role("agent")
    page = agent.text("/tickets")
    assert f'name="refs" value="{first}" form="bulk-form"' in page and f'value="{change}" form="bulk-form"' in page
    assert 'id="bulk-form"' in page and 'action="/tickets/bulk"' in page
    assert re.findall(r'<option value="(\w+)">', page.split('id="bulk-action"')[1].split("</select>")[0]) == [
        "assign", "move", "tag", "merge", "problem", "major"]
    assert '<input type="hidden" name="back" value="/tickets">' in page
    changes = agent.text("/tickets/changes?open=1")
    assert 'value="merge"' not in changes and 'name="back" value="/tickets/changes?open=1"' in changes
    assert 'id="bulk-form"' in agent.text("/my-work") or "Nothing is assigned to you" in agent.text("/my-work")
    assert 'id="bulk-form"' not in agent.text("/tickets?q=nothing-matches-this")


def test_bulk_assign_flashes_each_ticket_and_returns_to_the_list_with_its_filters(app: Flask, as_role: Any) -> None:
    first, second = open_ticket(app, title="Leak in room 12"), open_ticket(app, title="Leak in room 14")
    agent = as_role("agent")
    as_role("agent", "bob")
    response = agent.post("/tickets/bulk", {"action": "assign", "assignee": "bob", "refs": [first, second, "INC-9"],
                                            "tag": "ignored", "back": "/tickets?q=Leak"})
    assert response.status_code == 302 and response.headers["Location"] == "/tickets?q=Leak"
    page = agent.text("/tickets?q=Leak")
    assert flashes(page) == [("success", f"Assigned to bob: {first}, {second}."),
                             ("error", "Not done on INC-9: No ticket INC-9.")]
    assert ticket(app, first).assignee_id is not None and ticket(app, first).tags == []
    again = agent.post("/tickets/bulk", {"action": "assign", "assignee": "bob", "refs": [first]}, follow=True)
    assert flashes(again.get_data(as_text=True)) == [("success", f"Already so, nothing changed: {first}.")]


def test_bulk_move_and_tag(app: Flask, as_role: Any, org: None) -> None:
    first, second = open_ticket(app), open_ticket(app)
    agent = as_role("agent")
    moved = agent.post("/tickets/bulk", {"action": "move", "department": "facilities", "group": "",
                                         "refs": [first, second]}, follow=True).get_data(as_text=True)
    assert flashes(moved) == [("success", f"Moved to department facilities: {first}, {second}.")]
    tagged = agent.post("/tickets/bulk", {"action": "tag", "tag": "boiler", "refs": [second]},
                        follow=True).get_data(as_text=True)
    assert flashes(tagged) == [("success", f"Tagged 'boiler': {second}.")]
    assert ticket(app, second).tags == ["boiler"] and ticket(app, second).department_id is not None


@pytest.mark.parametrize(("form", "words"), [
    ({"action": "assign", "assignee": "bob"}, "refs: Choose at least one ticket."),
    ({"action": "assign", "assignee": "", "refs": "INC-000001"}, "assignee: Name the agent"),
    ({"action": "assign", "assignee": "nobody", "refs": "INC-000001"}, "assignee: No user 'nobody'."),
    ({"action": "move", "refs": "INC-000001"}, "department: Choose a department, a group or both."),
    ({"action": "tag", "tag": " ", "refs": "INC-000001"}, "tag: A tag of 1 to 64 characters."),
    ({"action": "merge", "into": "", "refs": "INC-000001"}, "into: Name the main ticket"),
    ({"action": "merge", "into": "INC-000404", "refs": "INC-000001"}, "No ticket INC-000404."),
    ({"action": "explode", "refs": "INC-000001"}, "action: Must be one of"),
    ({"refs": "INC-000001"}, "action: Must be one of"),
    ({"action": "assign", "assignee": "bo\x00b", "refs": "INC-000001"}, "assignee: Text may not contain NUL"),
    ({"action": "tag", "tag": "x\x00", "refs": "INC-000001"}, "tag: Text may not contain NUL"),
    ({"action": "move", "group": "\x00", "refs": "INC-000001"}, "group: Text may not contain NUL"),
    ({"action": "merge", "into": "INC-000001\x00", "refs": "INC-000001"}, "into: Text may not contain NUL"),
])
def test_bad_bulk_forms_are_explained_and_change_nothing(app: Flask, as_role: Any, form: dict[str, Any],
                                                         words: str) -> None:
    ref = open_ticket(app)
    agent = as_role("agent")
    response = agent.post("/tickets/bulk", form, follow=True)
    assert response.status_code == 200
    ((kind, text),) = flashes(response.get_data(as_text=True))
    assert kind == "error" and words in text, text
    assert ticket(app, ref).version == 1


def test_bulk_goes_back_only_to_a_list_and_needs_csrf_and_write_access(app: Flask, as_role: Any) -> None:
    ref = open_ticket(app)
    agent = as_role("agent")
    for back in ("https://evil.example/tickets", "//evil.example/tickets", "/admin/users", "javascript:alert(1)"):
        response = agent.post("/tickets/bulk", {"action": "tag", "tag": "x", "refs": ref, "back": back})
        assert response.headers["Location"] == "/tickets", back
    assert agent.post("/tickets/bulk", {"action": "tag", "tag": "y", "refs": ref}, csrf=False).status_code == 400
    assert as_role("requester").post("/tickets/bulk", {"action": "tag", "tag": "z", "refs": ref}).status_code == 403
    assert ticket(app, ref).tags == ["x"]


def test_bulk_merge_and_the_pages_of_both_tickets(app: Flask, as_role: Any) -> None:
    main = open_ticket(app, title="Boiler 2 is down", requester_email="mia@example.org")
    dup = open_ticket(app, title="No hot water in room 12", requester_name="Omar", requester_email="omar@example.org")
    closed = open_ticket(app, title="Cold shower")
    agent = as_role("agent")
    agent.post(f"/tickets/{closed}/transition", {"to": "cancelled"}, follow=True)
    page = agent.post("/tickets/bulk", {"action": "merge", "into": main.lower(), "refs": [dup, closed]},
                      follow=True).get_data(as_text=True)
    assert flashes(page) == [
        ("success", f"Merged into {main} and closed: {dup}."),
        ("error", f"Not done on {closed}: {closed} is already cancelled; only an open or resolved ticket can be "
                  "merged.")]
    dup_page = agent.text(f"/tickets/{dup}")
    assert f'data-duplicate-of="{main}">Duplicate of <a href="/tickets/{main}">{main}</a>' in dup_page
    assert f"Merged into {main} as a duplicate" in dup_page and 'id="merge-form"' not in dup_page
    main_page = agent.text(f"/tickets/{main}")
    assert 'id="duplicates"' in main_page and f'<a href="/tickets/{dup}">{dup}</a> No hot water in room 12' in main_page
    assert f"Duplicate merged in: {dup}" in main_page and "(Omar)" in main_page


def test_the_ticket_pages_merge_form(app: Flask, as_role: Any) -> None:
    main, dup = open_ticket(app, title="Boiler 2 is down"), open_ticket(app, title="No hot water")
    change = open_ticket(app, "change", title="Replace boiler 2")
    agent = as_role("agent")
    page = agent.text(f"/tickets/{dup}")
    assert 'id="merge-form"' in page and 'id="merge-form"' not in agent.text(f"/tickets/{change}")
    version = re.search(r'id="merge-form">\s*<input[^>]+>\s*<input type="hidden" name="version" value="(\d+)"',
                        page).group(1)  # type: ignore[union-attr]
    for into, words in (("", "into: Name the main ticket"), (dup, "cannot be merged into itself"),
                        (change, "only incidents are merged"), ("INC-000404", "No ticket INC-000404.")):
        answer = agent.post(f"/tickets/{dup}/merge", {"into": into, "version": version}, follow=True)
        ((kind, text),) = flashes(answer.get_data(as_text=True))
        assert answer.status_code == 200 and kind == "error" and words in text, text
    stale = agent.post(f"/tickets/{dup}/merge", {"into": main, "version": "99"}, follow=True)
    assert "has changed" in flashes(stale.get_data(as_text=True))[0][1]
    done = agent.post(f"/tickets/{dup}/merge", {"into": main, "version": version}, follow=True).get_data(as_text=True)
    assert flashes(done)[0] == ("success", f"Merged {dup} into {main} and closed it. The public comment on {dup} "
                                           f"names {main}; its requester's status link now follows {main}.")
    assert ticket(app, dup).status == "closed"


def test_the_duplicates_status_page_follows_the_main_ticket_and_shows_nothing_of_its_requester(
        app: Flask, as_role: Any) -> None:
    main = open_ticket(app, title="Boiler 2 is down in building C", description="Mia's flat 3B has no heating",
                       requester_name="Mia", requester_email="mia@example.org")
    dup = open_ticket(app, title="No hot water in room 12", requester_name="Omar", requester_email="omar@example.org")
    agent = as_role("agent")
    agent.post(f"/tickets/{main}/comment", {"body": "Mia, the engineer calls you at 9", "visibility": "public"})
    agent.post(f"/tickets/{main}/transition", {"to": "in_progress"})
    agent.post("/tickets/bulk", {"action": "merge", "into": main, "refs": [dup]})
    with app.extensions["hub"].db.transaction() as session:
        token = status_token(session, get_ticket(session, dup))
        main_token = status_token(session, get_ticket(session, main))
    assert token != main_token
    requester = app.test_client()
    page = markup.unescape(requester.get(f"/s/{token}").get_data(as_text=True))
    assert f"Merged into {main}." in page and f"Progress of {main}" in page
    assert re.search(r"data-followed-status>Being worked on.<", page)
    assert f"The team handles the same problem as {main}, so your report was merged" in page  # the public comment
    for secret in ("Boiler 2 is down", "Mia", "flat 3B", "engineer calls", main_token):
        assert secret not in page, secret
    assert "How satisfied" not in page and "Add a message" not in page and "Is it solved?" not in page
    agent.post(f"/tickets/{main}/transition", {"to": "resolved", "resolution": "New pump fitted for Mia"})
    page = markup.unescape(requester.get(f"/s/{token}").get_data(as_text=True))
    assert re.search(r"data-followed-status>Resolved by the team.<", page) and "Is it solved?" not in page
    assert "New pump" not in page
    own = markup.unescape(requester.get(f"/s/{main_token}").get_data(as_text=True))
    assert "Merged into" not in own and "Is it solved?" in own
