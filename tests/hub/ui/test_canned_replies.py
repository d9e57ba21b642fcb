"""Canned replies: placeholders checked when saved and filled per ticket, shared and own
replies, the API, the page that keeps them, and inserting one on a ticket page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from hub.tracker.canned import fill, placeholder_errors
from tests.hub.ui.conftest import open_ticket

GREETING = "Hello {requester_name},\n\nabout {ticket_ref} ({ticket_title}): follow it at {status_link}.\n\n{agent_name}"


# -- the template language ---------------------------------------------------------------

def test_known_placeholders_are_filled_and_literal_braces_kept() -> None:
    assert fill("Hi {requester_name}, {{not a placeholder}} {ticket_ref}", {
        "requester_name": "Ana", "ticket_ref": "INC-000001"}) == "Hi Ana, {not a placeholder} INC-000001"


@pytest.mark.parametrize(("body", "problem"), [
    ("Dear {customer}", "Unknown placeholder {customer}"),
    ("{ticket_ref.__class__}", "Unknown placeholder {ticket_ref.__class__}"),
    ("{ticket_ref!r}", "Unknown placeholder {ticket_ref}"),
    ("{ticket_ref:>40}", "Unknown placeholder {ticket_ref}"),
    ("an { unpaired brace", "Braces do not pair up"),
])
def test_a_placeholder_that_would_not_fill_is_refused_when_saved(body: str, problem: str) -> None:
    assert any(problem in message for message in placeholder_errors(body))


def test_filling_never_looks_inside_an_object() -> None:
    # Even a body that slipped past validation only ever gets the names it is given.
    assert fill("{ticket_ref.__class__.__mro__}", {"ticket_ref": "INC-1"}) == ""


# -- the API ------------------------------------------------------------------------------

def test_an_agent_keeps_replies_and_fills_one_for_a_ticket(app: Flask, client_for: Any) -> None:
    agent = client_for("agent", "maria", "maria@hub.test")
    ref = open_ticket(app, requester_name="Ana Ruiz", requester_email="ana@example.org", title="Room 214 too cold")
    made = agent.post("/api/v1/canned-replies", json={"title": "Greeting", "body": GREETING})
    assert made.status_code == 201, made.get_json()
    reply = made.get_json()
    assert (reply["shared"], reply["visibility"], reply["uses"]) == (False, "public", 0)
    rendered = agent.post(f"/api/v1/canned-replies/{reply['id']}/render", json={"ticket": ref})
    assert rendered.status_code == 200, rendered.get_json()
    body = rendered.get_json()["body"]
    assert body.startswith(f"Hello Ana Ruiz,\n\nabout {ref} (Room 214 too cold): follow it at ")
    assert re.search(r"/s/[\w-]{20,}\.", body), body
    assert body.endswith("maria")


def test_a_bad_placeholder_is_a_field_error_in_problem_json(client_for: Any) -> None:
    agent = client_for("agent", "maria")
    answer = agent.post("/api/v1/canned-replies", json={"title": "Oops", "body": "Dear {customer}"})
    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"
    assert "Unknown placeholder {customer}" in answer.get_json()["errors"]["body"][0]


def test_only_admins_keep_shared_replies_and_others_cannot_see_my_own(app: Flask, client_for: Any) -> None:
    admin = client_for("admin", "root")
    maria = client_for("agent", "maria")
    jon = client_for("agent", "jon")
    shared = admin.post("/api/v1/canned-replies", json={"title": "Fixed", "body": "It is fixed.", "shared": True})
    assert shared.status_code == 201 and shared.get_json()["shared"] is True
    refused = maria.post("/api/v1/canned-replies", json={"title": "Mine", "body": "x", "shared": True})
    assert refused.status_code == 422 and "shared" in refused.get_json()["errors"]
    own = maria.post("/api/v1/canned-replies", json={"title": "Mine", "body": "Only mine."}).get_json()
    assert [r["title"] for r in maria.get("/api/v1/canned-replies").get_json()] == ["Fixed", "Mine"]
    assert [r["title"] for r in jon.get("/api/v1/canned-replies").get_json()] == ["Fixed"]
    assert jon.get(f"/api/v1/canned-replies/{own['id']}").status_code == 404
    assert jon.patch(f"/api/v1/canned-replies/{own['id']}", json={"body": "hijacked"}).status_code == 404
    assert maria.patch(f"/api/v1/canned-replies/{shared.get_json()['id']}", json={"body": "x"}).status_code == 422
    assert maria.delete(f"/api/v1/canned-replies/{own['id']}").status_code == 204
    assert maria.get(f"/api/v1/canned-replies/{own['id']}").status_code == 404


def test_two_replies_of_one_owner_cannot_share_a_title(client_for: Any) -> None:
    maria = client_for("agent", "maria")
    assert maria.post("/api/v1/canned-replies", json={"title": "Hi", "body": "a"}).status_code == 201
    again = maria.post("/api/v1/canned-replies", json={"title": "Hi", "body": "b"})
    assert again.status_code == 422 and "already" in again.get_json()["errors"]["title"][0]


def test_requesters_and_anonymous_callers_have_no_canned_replies(client_for: Any, anonymous: Any) -> None:
    assert client_for("requester", "guest").get("/api/v1/canned-replies").status_code == 403
    assert anonymous.get("/api/v1/canned-replies").status_code == 401


# -- the pages ----------------------------------------------------------------------------

def test_the_page_keeps_replies_and_shows_a_readable_error(as_role: Any) -> None:
    agent = as_role("agent")
    bad = agent.post("/canned-replies", {"title": "Oops", "body": "Dear {customer}"})
    assert bad.status_code == 422
    assert "Unknown placeholder {customer}" in bad.get_data(as_text=True)
    assert 'value="Oops"' in bad.get_data(as_text=True)  # what was typed is kept
    good = agent.post("/canned-replies", {"title": "Greeting", "body": GREETING}, follow=True)
    assert "Saved the reply" in good.get_data(as_text=True)
    assert "Greeting" in agent.text("/canned-replies")


def _reply_id(html: str, title: str) -> str:
    match = re.search(rf'<option value="(\d+)">{re.escape(title)}', html)
    assert match, html
    return match.group(1)


def test_inserting_a_reply_without_scripts_fills_the_comment_form_and_counts_its_use(app: Flask, as_role: Any) -> None:
    agent = as_role("agent", "maria")
    ref = open_ticket(app, requester_name="Ana Ruiz", requester_email="ana@example.org")
    agent.post("/canned-replies", {"title": "Greeting", "body": GREETING})
    page = agent.text(f"/tickets/{ref}")
    assert 'data-key="r"' in page
    reply_id = _reply_id(page, "Greeting (mine)")
    inserted = agent.post(f"/tickets/{ref}/canned", {"canned_id": reply_id})
    assert inserted.status_code == 302 and inserted.headers["Location"].endswith(f"/tickets/{ref}#comment")
    page = agent.text(f"/tickets/{ref}")
    body = re.search(r'<textarea id="comment-body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert body.startswith(f"Hello Ana Ruiz,\n\nabout {ref}")
    assert 'id="vis-public" name="visibility" value="public" checked' in page
    # Shown once: a reload shows an empty form again.
    assert "Hello Ana Ruiz" not in agent.text(f"/tickets/{ref}")
    sent = agent.post(f"/tickets/{ref}/comment", {"body": "Hello Ana", "visibility": "public",
                                                  "canned_id": reply_id}, follow=True)
    assert "Public comment added" in sent.get_data(as_text=True)
    assert re.search(r"<td>1</td>", agent.text("/canned-replies"))


def test_the_script_path_answers_json_and_a_bad_choice_is_readable(app: Flask, as_role: Any) -> None:
    agent = as_role("agent", "maria")
    ref = open_ticket(app)
    agent.post("/canned-replies", {"title": "Note", "body": "Checked {ticket_ref}.", "visibility": "internal"})
    reply_id = _reply_id(agent.text(f"/tickets/{ref}"), "Note (mine)")
    answer = agent.client.post(f"/tickets/{ref}/canned", data={"canned_id": reply_id, "csrf_token": agent.token},
                               headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_json() == {"id": int(reply_id), "body": f"Checked {ref}.", "visibility": "internal"}
    missing = agent.client.post(f"/tickets/{ref}/canned", data={"canned_id": "", "csrf_token": agent.token},
                                headers={"Accept": "application/json"})
    assert missing.status_code == 422 and "Choose a canned reply" in missing.get_json()["detail"]
    page = agent.post(f"/tickets/{ref}/canned", {"canned_id": "99999"}, follow=True)
    assert page.status_code == 200 and "No canned reply 99999" in page.get_data(as_text=True)


def test_inserting_needs_the_forms_csrf_token(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app)
    assert agent.post(f"/tickets/{ref}/canned", {"canned_id": "1"}, csrf=False).status_code == 400


def test_a_viewer_without_write_rights_sees_no_picker(app: Flask, as_role: Any) -> None:
    ref = open_ticket(app)
    page = as_role("requester").get(f"/tickets/{ref}")
    assert 'id="canned-picker"' not in page.get_data(as_text=True)
