"""The ticket page's edit form: every field, the API's validation and audit, and If-Match concurrency."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

from hub.models import AuditEvent
from hub.tracker.tickets import get_ticket
from tests.hub.ui.conftest import open_ticket


def form_of(page: str) -> dict[str, str]:
    """The edit form's fields as the page filled them (inputs, selects and textareas)."""
    form = page.split('id="edit-form"', 1)[1].split("</form>", 1)[0]
    values: dict[str, str] = {}
    for match in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*>', form):
        value = re.search(r'value="([^"]*)"', match.group(0))
        values[match.group(1)] = unescape(value.group(1)) if value else ""
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', match.group(2))
        first = re.search(r'<option value="([^"]*)"', match.group(2))
        values[match.group(1)] = unescape((chosen or first).group(1)) if (chosen or first) else ""
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[match.group(1)] = unescape(match.group(2))
    return values


def setup_org(api: Any) -> None:
    for path, body in (("/api/v1/departments", {"slug": "rooms", "name": "Rooms"}),
                       ("/api/v1/groups", {"slug": "maintenance", "name": "Maintenance"}),
                       ("/api/v1/categories", {"slug": "plumbing", "name": "Plumbing", "department": "rooms"}),
                       ("/api/v1/configuration-items", {"key": "hotel/floor3/printer", "name": "Printer 3",
                                                         "kind": "machine"})):
        assert api.post(path, json=body).status_code == 201


def test_every_field_is_saved_with_the_same_audit_as_the_api(app: Any, api: Any, as_role: Any) -> None:
    setup_org(api)
    agent = as_role("agent", "maria")
    ref = open_ticket(app, requester_email="guest@example.org")
    form = form_of(agent.text(f"/tickets/{ref}"))
    assert form["version"] and form["orig.title"] == "Printer on floor 2 is jammed" and form["priority"] == ""
    form.update(title="Printer on floor 3 is jammed", description="Tray 2.\nAgain.", impact="high",
                urgency="high", priority="2", department="rooms", group="maintenance", assignee="maria",
                category="plumbing", ci="hotel/floor3/printer", tags="printer, floor-3",
                custom_fields='{"room": "301"}')
    saved = agent.post(f"/tickets/{ref}/edit", form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#details")
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert (ticket["title"], ticket["description"], ticket["impact"], ticket["priority"]) == \
        ("Printer on floor 3 is jammed", "Tray 2.\nAgain.", "high", 2)
    assert (ticket["department"], ticket["group"], ticket["assignee"], ticket["category"], ticket["ci"]) == \
        ("rooms", "maintenance", "maria", "plumbing", "hotel/floor3/printer")
    assert ticket["tags"] == ["printer", "floor-3"] and ticket["custom_fields"] == {"room": "301"}
    with app.extensions["hub"].db.reading() as session:
        event = session.query(AuditEvent).filter_by(action="updated").one()
        assert (event.actor_name, event.origin) == ("maria", "ui")
        assert event.changes["title"] == ["Printer on floor 2 is jammed", "Printer on floor 3 is jammed"]
    # The override back to "from impact x urgency": P1 for high x high.
    form = form_of(agent.text(f"/tickets/{ref}"))
    assert form["priority"] == "2"
    form["priority"] = ""
    agent.post(f"/tickets/{ref}/edit", form)
    assert api.get(f"/api/v1/incidents/{ref}").json["priority"] == 1


def test_bad_values_are_refused_per_field_and_nothing_is_saved(app: Any, api: Any, as_role: Any) -> None:
    agent = as_role("agent", "maria")
    ref = open_ticket(app)
    form = form_of(agent.text(f"/tickets/{ref}"))
    form.update(title="", custom_fields="[1, 2", tags="x" * 70)
    refused = agent.post(f"/tickets/{ref}/edit", form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Not saved" in page and 'id="edit" open' in page.replace("\n", "")[:10**7]
    assert "Not JSON" in page
    form.update(custom_fields="{}", tags="ok")
    refused = agent.post(f"/tickets/{ref}/edit", form)
    assert refused.status_code == 422 and "Length must be between 1 and 500." in refused.get_data(as_text=True)
    assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "Printer on floor 2 is jammed"
    unknown = agent.post(f"/tickets/{ref}/edit", {**form, "title": "Fine", "ci": "no/such/item"})
    assert unknown.status_code == 422 and "No configuration item" in unknown.get_data(as_text=True)
    assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "Printer on floor 2 is jammed"


def test_a_stale_save_shows_theirs_and_yours_and_overwrites_nothing(app: Any, api: Any, as_role: Any) -> None:
    agent = as_role("agent", "maria")
    ref = open_ticket(app)
    form = form_of(agent.text(f"/tickets/{ref}"))
    # Meanwhile a colleague changes the title and the urgency through the API.
    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "Printer jammed (tray 2)", "urgency": "high"}
                     ).status_code == 200
    form.update(title="Printer on floor 2 jams daily", impact="low")
    stale = agent.post(f"/tickets/{ref}/edit", form)
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone changed this ticket" in page
    assert re.search(r'data-field="title"><th scope="row">Title</th><td class="prewrap">Printer jammed \(tray 2\)</td>'
                     r'<td class="prewrap">Printer on floor 2 jams daily</td>', page)
    assert 'data-field="urgency"' in page and "(not changed by you)" in page
    assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "Printer jammed (tray 2)"  # nothing overwritten
    again = form_of(page)
    assert again["title"] == "Printer on floor 2 jams daily" and again["urgency"] == "high" and again["impact"] == "low"
    assert agent.post(f"/tickets/{ref}/edit", again).status_code == 302  # saved deliberately, their urgency kept
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert (ticket["title"], ticket["urgency"], ticket["impact"]) == ("Printer on floor 2 jams daily", "high", "low")


def test_a_version_raised_by_something_outside_the_form_does_not_block_the_save(app: Any, api: Any,
                                                                                 as_role: Any) -> None:
    agent = as_role("agent", "maria")
    ref = open_ticket(app)
    form = form_of(agent.text(f"/tickets/{ref}"))
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Looking", "visibility": "internal"})
    with app.extensions["hub"].db.transaction() as session:  # e.g. the SLA plugin recording due times
        get_ticket(session, ref).response_due_at = datetime(2030, 1, 1, tzinfo=UTC)
    form["title"] = "Printer jams"
    assert agent.post(f"/tickets/{ref}/edit", form).status_code == 302
    assert api.get(f"/api/v1/incidents/{ref}").json["title"] == "Printer jams"


def test_a_changes_planned_window_is_read_in_the_agents_zone(app: Any, api: Any, as_role: Any) -> None:
    agent = as_role("agent", "maria")
    agent.post("/profile", {"display_name": "Maria", "timezone": "Europe/Berlin", "language": "de"})
    ref = open_ticket(app, kind="change")
    form = form_of(agent.text(f"/tickets/{ref}"))
    form.update(planned_start="2026-12-24T18:30", planned_end="2026-12-24T20:00", risk="high", type="standard")
    assert agent.post(f"/tickets/{ref}/edit", form).status_code == 302
    change = api.get(f"/api/v1/changes/{ref}").json
    assert change["planned_start"] == "2026-12-24T17:30:00+00:00" and change["risk"] == "high"
    assert change["type"] == "standard"
    page = agent.text(f"/tickets/{ref}")
    assert form_of(page)["planned_start"] == "2026-12-24T18:30" and "(Europe/Berlin)" in page
    form = form_of(page)
    form["planned_end"] = "2026-12-24T17:00"  # before the start: the tracker's own rule
    refused = agent.post(f"/tickets/{ref}/edit", form)
    assert refused.status_code == 422 and "Must be after planned_start." in refused.get_data(as_text=True)
    incident = open_ticket(app)
    assert 'name="planned_start"' not in agent.text(f"/tickets/{incident}")


def test_readers_without_write_see_no_edit_form(app: Any, as_role: Any) -> None:
    ref = open_ticket(app)
    requester = as_role("requester", "guest")
    assert requester.post(f"/tickets/{ref}/edit", {"title": "x"}).status_code == 403
