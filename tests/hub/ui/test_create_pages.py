"""Making tickets from the pages: "Log a call", "New incident", "New change", drafts completed later.

The pages must validate and audit as the API does (they use its schemas and service), show
every problem next to its field, and never leave a half-made ticket behind.
"""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hub.models import Attachment, AuditEvent, Ticket


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["ATTACHMENT_MAX_BYTES"] = 50_000
    return app_config


@pytest.fixture
def org(api: Any) -> None:
    assert api.post("/api/v1/departments", json={"slug": "front-desk", "name": "Front desk"}).status_code == 201
    assert api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise",
                                                "department": "front-desk"}).status_code == 201
    assert api.post("/api/v1/configuration-items", json={"key": "room-214", "name": "Room 214"}).status_code == 201


def tickets_in(app: Flask) -> int:
    with app.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


def created(app: Flask, ref: str) -> tuple[Ticket, AuditEvent, list[Attachment]]:
    with app.extensions["hub"].db.reading() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.ref == ref))
        assert ticket is not None
        event = session.scalar(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id,
                                                        AuditEvent.action == "created"))
        assert event is not None
        files = list(session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)))
        session.expunge_all()
        return ticket, event, files


def ref_from(response: Any) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    match = re.search(r"/tickets/((?:INC|CHG)-\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def test_logging_a_call_makes_an_audited_incident_with_the_callers_details_and_photo(
        app: Flask, as_role: Any, org: None) -> None:
    agent = as_role("agent")
    page = agent.text("/tickets/log-call")
    assert "Log a call" in page and 'name="requester_phone"' in page and 'type="file"' in page
    response = agent.post("/tickets/log-call", {
        "requester_name": "Gina Guest", "requester_email": "Gina@Example.org", "requester_phone": "+49 30 1234-567",
        "department": "front-desk", "category": "noise", "ci": "room-214", "title": "Air conditioning rattles",
        "description": "Called at 02:10; could not sleep.", "files": (io.BytesIO(PHOTO), "rattle.png", "image/png"),
    })
    ref = ref_from(response)
    ticket, event, files = created(app, ref)
    assert (ticket.title, ticket.requester_name, ticket.requester_email, ticket.source) == (
        "Air conditioning rattles", "Gina Guest", "gina@example.org", "phone")
    assert ticket.custom_fields == {"requester_phone": "+49 30 1234-567"}
    assert ticket.department_id is not None and ticket.category_id is not None
    assert (event.actor_type, event.actor_name, event.origin) == ("user", "agent1", "ui")
    assert [(f.filename, f.content_type, f.visibility) for f in files] == [("rattle.png", "image/png", "public")]
    follow = agent.get(response.headers["Location"])
    assert f"Created {ref} with 1 file." in follow.get_data(as_text=True)
    # The agent who picks it up can call back: the number is on the ticket page.
    assert '<dt>Phone</dt><dd><a href="tel:+49301234-567">+49 30 1234-567</a></dd>' in follow.get_data(as_text=True)


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"title": ""}, "title", "Enter a title: one line saying what happened."),
    ({"title": "x" * 501}, "title", "Length must be between 1 and 500."),
    ({"requester_email": "not-an-address"}, "requester_email", "Not a valid email address."),
    ({"requester_phone": "call me maybe"}, "requester_phone", "Digits, spaces and + ( ) - . / only"),
    ({"department": "nowhere"}, "department", "No department 'nowhere'."),
    ({"priority": "9"}, "priority", "Must be greater than or equal to 1 and less than or equal to 5."),
    ({"impact": "enormous"}, "impact", "Must be one of: low, medium, high."),
])
def test_bad_input_is_shown_next_to_its_field_and_creates_nothing(
        app: Flask, as_role: Any, org: None, form: dict[str, str], field: str, message: str) -> None:
    agent = as_role("agent")
    body = {"title": "Lift stuck", "requester_name": "Tom", **form}
    # The phone number is asked on the call form only.
    response = agent.post("/tickets/log-call" if field == "requester_phone" else "/tickets/new", body)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422, html[:2000]
    assert message in html
    assert f'id="{field}-error"' in html and f'href="#{field}"' in html  # next to the field, linked from the summary
    assert 'value="Tom"' in html  # what was typed is kept
    assert tickets_in(app) == 0


def test_a_file_over_the_limit_is_refused_readably_and_no_ticket_is_left(
        app: Flask, as_role: Any, org: None) -> None:
    agent = as_role("agent")
    response = agent.post("/tickets/log-call", {
        "title": "Broken window", "files": (io.BytesIO(b"x" * 60_000), "huge.jpg", "image/jpeg")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "huge.jpg: larger than 50000 bytes." in html and "Choose the files again" in html
    assert tickets_in(app) == 0


def test_the_page_and_the_api_audit_a_new_incident_alike(app: Flask, as_role: Any, api: Any, org: None) -> None:
    agent = as_role("agent")
    ref = ref_from(agent.post("/tickets/new", {"title": "Printer jammed", "impact": "high", "urgency": "high",
                                                "assignee": "agent1", "tags": "printer, floor-2"}))
    ticket, event, _ = created(app, ref)
    assert (ticket.priority, ticket.tags, ticket.source) == (1, ["printer", "floor-2"], "ui")
    from_api = api.post("/api/v1/incidents", json={"title": "Printer jammed", "impact": "high", "urgency": "high",
                                                    "assignee": "agent1", "tags": ["printer", "floor-2"]}).json
    _, api_event, _ = created(app, from_api["ref"])
    assert from_api["priority"] == ticket.priority
    assert (event.action, event.changes["title"]) == (api_event.action, api_event.changes["title"])


def test_a_change_saved_as_draft_is_completed_later_and_submitted(app: Flask, as_role: Any, org: None) -> None:
    agent, other = as_role("agent"), as_role("agent", "agent2")
    ref = ref_from(agent.post("/tickets/changes/new", {"title": "Replace the chiller", "action": "draft"}))
    assert created(app, ref)[0].status == "draft"
    other_ref = ref_from(other.post("/tickets/changes/new", {"title": "Paint the lobby", "action": "draft"}))
    drafts = agent.text("/tickets/changes/drafts")
    assert f"Complete {ref}" in drafts and other_ref not in drafts  # my drafts only

    page = agent.text(f"/tickets/changes/{ref}/draft")
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version and 'value="Replace the chiller"' in page
    bad = agent.post(f"/tickets/changes/{ref}/draft", {
        "title": "Replace the chiller", "version": version.group(1), "planned_start": "2027-01-10T08:00",
        "planned_end": "2027-01-10T06:00", "action": "draft"})
    assert bad.status_code == 422 and "Must be after the planned start." in bad.get_data(as_text=True)

    saved = agent.post(f"/tickets/changes/{ref}/draft", {
        "title": "Replace the chiller on line 2", "version": version.group(1), "type": "normal", "risk": "high",
        "planned_start": "2027-01-10T08:00", "planned_end": "2027-01-10T12:00", "action": "draft"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/tickets/changes/drafts")
    ticket = created(app, ref)[0]
    assert (ticket.title, ticket.risk, ticket.status) == ("Replace the chiller on line 2", "high", "draft")
    assert ticket.planned_start is not None and ticket.planned_start.hour == 8  # read as UTC

    stale = agent.post(f"/tickets/changes/{ref}/draft", {"title": "Old tab", "version": version.group(1),
                                                         "action": "submit"})
    assert stale.status_code == 409 and "Someone changed this draft" in stale.get_data(as_text=True)
    assert created(app, ref)[0].title == "Replace the chiller on line 2"  # never overwritten silently

    submitted = agent.post(f"/tickets/changes/{ref}/draft", {
        "title": "Replace the chiller on line 2", "version": str(ticket.version), "risk": "high",
        "planned_start": "2027-01-10T08:00", "planned_end": "2027-01-10T12:00", "action": "submit"})
    assert ref_from(submitted) == ref and created(app, ref)[0].status == "submitted"
    assert f"Complete {ref}" not in agent.text("/tickets/changes/drafts")
    again = agent.get(f"/tickets/changes/{ref}/draft")
    assert again.status_code == 303  # no longer a draft: back to the ticket, with a message
    assert "no longer a draft" in agent.text(again.headers["Location"])


def test_a_new_change_can_be_submitted_at_once(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = ref_from(agent.post("/tickets/changes/new", {"title": "Patch the PLCs", "type": "standard",
                                                       "action": "submit"}))
    ticket = created(app, ref)[0]
    assert (ticket.kind, ticket.change_type, ticket.status) == ("change", "standard", "submitted")


def test_entry_points_menu_lists_and_keys(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    tickets = agent.text("/tickets")
    assert re.search(r'<a href="/tickets/log-call"[^>]*data-key="l"', tickets)  # the menu
    assert re.search(r'<a class="button" href="/tickets/new" data-key="c"', tickets)
    changes = agent.text("/tickets/changes")
    assert re.search(r'<a class="button" href="/tickets/changes/new" data-key="c"', changes)
    assert 'href="/tickets/changes/drafts"' in changes


def test_requesters_cannot_open_the_agents_forms(app: Flask, as_role: Any) -> None:
    requester = as_role("requester")
    for path in ("/tickets/new", "/tickets/log-call", "/tickets/changes/new", "/tickets/changes/drafts"):
        assert requester.get(path).status_code == 403, path
    assert requester.post("/tickets/log-call", {"title": "x"}).status_code == 403
    assert tickets_in(app) == 0
