"""Agents' pages: the list with filters, search, sort, saved views and paging; the ticket page and its actions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.hub.ui.conftest import open_ticket


def refs_in(html: str) -> list[str]:
    return re.findall(r'<a href="/tickets/((?:INC|CHG)-\d+)">', html)


def test_the_list_shows_tickets_and_filters_them(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    first = open_ticket(app, title="VPN drops every hour", impact="high", urgency="high")
    second = open_ticket(app, title="Printer jammed")
    change = open_ticket(app, "change", title="Upgrade the VPN gateway")
    html = agent.text("/tickets")
    assert set(refs_in(html)) == {first, second, change}
    assert refs_in(agent.text("/tickets?q=VPN")) and set(refs_in(agent.text("/tickets?q=VPN"))) == {first, change}
    assert refs_in(agent.text(f"/tickets?q={second}")) == [second]
    assert refs_in(agent.text("/tickets?kind=change")) == [change]
    changes = agent.text("/tickets/changes")
    assert refs_in(changes) == [change]
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', changes) == ["/tickets/changes"]
    assert refs_in(agent.text("/tickets?kind=incident&priority=1")) == [first]
    assert refs_in(agent.text("/tickets?status=draft")) == [change]
    assert refs_in(agent.text("/tickets?sort=priority&kind=incident")) == [first, second]
    assert refs_in(agent.text("/tickets?sort=-priority&kind=incident")) == [second, first]
    assert refs_in(agent.text("/tickets?department=nowhere")) == []


@pytest.mark.parametrize(("query", "message"), [
    ("priority=9", "Priority must be 1 to 5"),
    ("status=bogus", "Unknown status bogus"),
    ("sort=sideways", "Unknown sort"),
    ("kind=puzzle", "Unknown kind"),
    ("cursor=%%%not-a-cursor", "Not a cursor"),
])
def test_bad_filters_are_explained_not_500(app: Flask, as_role: Any, query: str, message: str) -> None:
    open_ticket(app)
    html = as_role("agent").text(f"/tickets?{query}")
    assert message in html and "error-summary" in html


def test_keyset_paging_walks_every_ticket_once(app: Flask, as_role: Any, monkeypatch: Any) -> None:
    from hub.ui import tickets as page

    monkeypatch.setattr(page, "PAGE_SIZE", 4)
    made = {open_ticket(app, title=f"Ticket {n}") for n in range(10)}
    agent = as_role("agent")
    seen: list[str] = []
    url = "/tickets?kind=incident"
    for _ in range(5):
        html = agent.text(url)
        seen += refs_in(html)
        found = re.search(r'<a href="([^"]+)" rel="next"', html)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
        assert "kind=incident" in url and "cursor=" in url
    assert sorted(seen) == sorted(made) and len(seen) == 10
    assert "First page" in agent.text(url)


@pytest.mark.parametrize("sort", ["-updated_at", "created_at", "priority", "-priority"])
def test_paging_across_kinds_merges_each_kinds_page_in_order(app: Flask, as_role: Any, monkeypatch: Any,
                                                              sort: str) -> None:
    from hub.models import Ticket
    from hub.ui import tickets as page

    monkeypatch.setattr(page, "PAGE_SIZE", 3)
    for n in range(5):
        open_ticket(app, title=f"Incident {n}", impact=("high", "medium", "low")[n % 3])
        open_ticket(app, "change", title=f"Change {n}")
    column, descending = page.SORTS[sort]
    with app.extensions["hub"].db.reading() as session:
        expected = [t.ref for t in sorted(session.query(Ticket), key=lambda t: (getattr(t, column.key), t.id),
                                          reverse=descending)]
    agent = as_role("agent")
    seen: list[str] = []
    url = f"/tickets?sort={sort}"
    for _ in range(6):
        html = agent.text(url)
        seen += refs_in(html)
        found = re.search(r'<a href="([^"]+)" rel="next"', html)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
    assert seen == expected


def test_saved_views_belong_to_their_owner_unless_shared(app: Flask, as_role: Any) -> None:
    open_ticket(app, "change", title="Change the core switch")
    alice, bob = as_role("agent", "alice"), as_role("agent", "bob")
    saved = alice.post("/tickets/views", {"name": "Change board", "query": "kind=change"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/tickets?kind=change")
    assert ">Change board</a>" in alice.text("/tickets")
    assert ">Change board</a>" not in bob.text("/tickets")
    alice.post("/tickets/views", {"name": "Change board", "query": "kind=change", "shared": "on"})
    assert ">Change board</a>" in bob.text("/tickets")
    from hub.models import SavedView

    with app.extensions["hub"].db.reading() as session:
        view_id = session.query(SavedView.id).scalar()
    bob.post(f"/tickets/views/{view_id}/delete")
    assert "No saved view of yours" in bob.text("/tickets")
    assert alice.post("/tickets/views", {"name": "", "query": "x=1"}, follow=True).status_code == 200
    alice.post(f"/tickets/views/{view_id}/delete")
    assert ">Change board</a>" not in alice.text("/tickets")


def test_my_work_lists_open_tickets_assigned_to_me(app: Flask, as_role: Any) -> None:
    agent = as_role("agent", "carol")
    mine = open_ticket(app, title="Mine", assignee="carol")
    open_ticket(app, title="Not mine")
    done = open_ticket(app, title="Mine but done", assignee="carol")
    agent.post(f"/tickets/{done}/transition", {"to": "resolved", "resolution": "Fixed"})
    assert refs_in(agent.text("/my-work")) == [mine]


def test_ticket_page_actions_show_up_in_the_timeline(app: Flask, as_role: Any) -> None:
    agent = as_role("agent", "dave")
    ref = open_ticket(app, title="Mail is slow")
    html = agent.text(f"/tickets/{ref}")
    assert "Mail is slow" in html and "Opened" in html and 'value="acknowledged"' in html
    # No state is preselected: a Move pressed by mistake is refused, not a move back to draft.
    assert '<option value="" disabled selected>Choose a state…</option>' in html
    refused = agent.post(f"/tickets/{ref}/transition", {"to": ""}, follow=True).get_data(as_text=True)
    assert "Choose the state to move to." in refused
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    moved = agent.post(f"/tickets/{ref}/transition", {"to": "acknowledged", "version": version})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/tickets/{ref}#timeline")
    agent.post(f"/tickets/{ref}/assign", {"me": "1"})
    agent.post(f"/tickets/{ref}/comment", {"body": "Looking at the queue.", "visibility": "internal"})
    agent.post(f"/tickets/{ref}/comment", {"body": "We are on it.", "visibility": "public"})
    done = agent.post(f"/tickets/{ref}/transition", {"to": "in_progress"}, follow=True).get_data(as_text=True)
    assert f"{ref} is now in progress." in done  # in words, not the state's code
    agent.post(f"/tickets/{ref}/transition", {"to": "resolved", "resolution": "Cleared the mail queue."})
    html = agent.text(f"/tickets/{ref}")
    for text in ("Status: new → acknowledged", "Assignee: — → dave", "Internal note", "Looking at the queue.",
                 "Public comment", "We are on it.", "Status: in progress → resolved", "Cleared the mail queue.",
                 "via ui"):
        assert text in html, text
    assert html.index("Status: new → acknowledged") < html.index("Looking at the queue.") < html.index(
        "Status: in progress → resolved")


def test_refused_actions_are_readable_messages(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app)
    for url, data, message in (
        (f"/tickets/{ref}/transition", {"to": "closed"}, "cannot move to &#39;closed&#39;"),
        (f"/tickets/{ref}/transition", {"to": ""}, "Choose the state"),
        (f"/tickets/{ref}/transition", {"to": "acknowledged", "version": "999"}, "has changed"),
        (f"/tickets/{ref}/assign", {"assignee": "nobody"}, "No user &#39;nobody&#39;"),
        (f"/tickets/{ref}/comment", {"body": "  "}, "A comment needs some text"),
        (f"/tickets/{ref}/comment", {"body": "x", "visibility": "secret"}, "Must be public or internal"),
        (f"/tickets/{ref}/approval", {"decision": "approved"}, "No change"),
    ):
        response = agent.post(url, data, follow=True)
        assert response.status_code in (200, 404, 422), (url, response.status_code)
        assert message in response.get_data(as_text=True), (url, message)
    assert agent.get("/tickets/INC-999999").status_code == 404
    assert agent.get("/tickets/garbage").status_code == 404


def test_a_refused_comment_keeps_what_the_agent_typed(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app)
    typed = "A long answer <b>with markup</b> that took a while to write."
    response = agent.post(f"/tickets/{ref}/comment", {"body": typed, "visibility": "secret", "canned_id": "7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A long answer &lt;b&gt;with markup&lt;/b&gt; that took a while to write.</textarea>" in html
    assert 'aria-invalid="true" aria-describedby="comment-body-error"' in html
    assert 'id="comment-body-error">Must be public or internal.' in html
    assert 'name="canned_id" value="7"' in html  # the canned reply it came from still counts once sent
    assert agent.post(f"/tickets/{ref}/comment", {"body": "x", "visibility": "public"}).status_code == 302
    assert "A long answer" not in agent.text(f"/tickets/{ref}")  # a fresh page: the form is empty again


def test_the_ticket_pages_forms_save_in_place(app: Flask, as_role: Any) -> None:
    """Every action form of the ticket page is marked for hub.js to send without a reload."""
    ref = open_ticket(app, "change")
    agent = as_role("agent")
    for to in ("submitted", "assessment"):
        agent.post(f"/tickets/{ref}/transition", {"to": to})
    html = agent.text(f"/tickets/{ref}")
    for form_id in ("edit-form", "comment", "transition-form", "approval-form", "assign-form", "upload-form"):
        tag = re.search(rf'<form[^>]*id="{form_id}"[^>]*>', html)
        assert tag and "data-inline" in tag.group(0), form_id


def test_changes_are_approved_or_rejected_on_their_page(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app, "change", title="Patch the database")
    for to in ("submitted", "assessment"):
        agent.post(f"/tickets/{ref}/transition", {"to": to})
    html = agent.text(f"/tickets/{ref}")
    assert 'value="approved">Approve' in html and 'value="rejected"' in html
    agent.post(f"/tickets/{ref}/approval", {"decision": "approved", "comment": "Low risk"})
    html = agent.text(f"/tickets/{ref}")
    assert "Status: assessment → approved" in html and "Change approved" in html and "Low risk" in html
    other = open_ticket(app, "change", title="Risky")
    for to in ("submitted", "assessment", "rejected"):
        agent.post(f"/tickets/{other}/transition", {"to": to, "note": "Too risky" if to == "rejected" else ""})
    assert "Change rejected" in agent.text(f"/tickets/{other}")


def test_the_timeline_shows_occurrences_and_external_links(app: Flask, as_role: Any, app_config: Any) -> None:
    from hub.models import ExternalLink, Ticket
    from hub.tracker.correlate import record_occurrence

    agent = as_role("agent")
    ref = open_ticket(app, title="Conveyor stopped")
    hub = app.extensions["hub"]
    with hub.db.transaction() as session:
        from hub.models import ConnectorInstance

        instance = ConnectorInstance(slug="servicedesk", name="IT", connector="jira", enabled=True, config={},
                                     state={})
        session.add(instance)
        session.flush()
        ticket = session.query(Ticket).filter_by(ref=ref).one()
        record_occurrence(session, ticket)
        session.add(ExternalLink(ticket_id=ticket.id, instance_id=instance.id, external_id="IT-42",
                                 url="https://jira.example/browse/IT-42", sync_state="error",
                                 last_error="403 Forbidden: no permission", data={}))
    html = agent.text(f"/tickets/{ref}")
    assert "2 occurrences" in html and "IT-42" in html and "sync error" in html
    assert "403 Forbidden: no permission" in html


def test_requesters_and_strangers_cannot_reach_agent_pages(app: Flask, as_role: Any) -> None:
    ref = open_ticket(app)
    requester = as_role("requester")
    for url in ("/tickets", "/my-work", "/tickets/changes", f"/tickets/{ref}"):
        response = requester.get(url)
        assert response.status_code == 403 and "cannot open this page" in response.get_data(as_text=True)
        assert app.test_client().get(url).status_code == 302  # to the login page
    assert requester.post(f"/tickets/{ref}/comment", {"body": "hi"}).status_code == 403
    agent = as_role("agent")
    assert agent.post(f"/tickets/{ref}/comment", {"body": "hi"}, csrf=False).status_code == 400
    assert agent.post(f"/tickets/{ref}/comment", {"body": "hi", "csrf_token": "forged"}).status_code == 400


def test_every_form_on_the_ticket_pages_carries_csrf_and_labels(app: Flask, as_role: Any) -> None:
    ref = open_ticket(app, "change")
    agent = as_role("agent")
    for url in ("/tickets", f"/tickets/{ref}", "/my-work"):
        html = agent.text(url)
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S):
            assert 'name="csrf_token"' in form
        for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{input_id}"' in html, (url, input_id)
        assert "<script>" not in html and "style=" not in html


def test_the_timeline_shows_moments_on_the_viewers_clock_and_states_in_words(app: Flask) -> None:
    from flask import g

    from hub.ui.tickets_timeline import _change_text

    changes = {"planned_start": [None, "2027-01-10T08:00:00+00:00"], "status": ["on_hold", "in_progress"],
               "title": ["2027-01-10T08:00 is not a moment without its offset", "x"]}
    with app.test_request_context():
        g.principal = type("Viewer", (), {"timezone": "Europe/Berlin"})()
        lines = _change_text(changes)
    assert lines == ["Planned start: — → 2027-01-10 09:00 CET", "Status: on hold → in progress",
                     "Title: 2027-01-10T08:00 is not a moment without its offset → x"]


def test_related_tickets_are_linked_and_unlinked_on_the_page(app: Flask, as_role: Any) -> None:
    agent = as_role("agent", "erin")
    parent, child = open_ticket(app, title="Hall 2 has no heating"), open_ticket(app, title="Room 214 is cold")
    done = agent.post(f"/tickets/{child}/links", {"kind": "child_of", "other": parent.lower()}, follow=True)
    html = done.get_data(as_text=True)
    assert f"{child} is now child of {parent}." in html
    assert "Child of" in html and "Hall 2 has no heating" in html
    on_parent = agent.text(f"/tickets/{parent}")
    assert "Parent of" in on_parent and "Room 214 is cold" in on_parent and "Link: parent of" in on_parent
    refused = agent.post(f"/tickets/{child}/links", {"kind": "related", "other": child}, follow=True)
    assert "cannot be linked to itself" in refused.get_data(as_text=True)
    link_id = re.search(rf'/tickets/{parent}/links/(\d+)/remove', on_parent).group(1)  # type: ignore[union-attr]
    removed = agent.post(f"/tickets/{parent}/links/{link_id}/remove", {}, follow=True).get_data(as_text=True)
    assert "The link is removed." in removed and "None yet." in removed


def test_pages_name_departments_groups_items_and_people_as_people_read_them(app: Flask, as_role: Any) -> None:
    """Slugs, keys and logins are for sources and the API; the pages show names."""
    from hub.auth.users import create_user
    from hub.models import ConfigurationItem
    from hub.tracker.catalog import create_department, create_group

    with app.extensions["hub"].db.transaction() as session:
        create_department(session=session, slug="fb-hall2", name="Food & Beverage, Hall 2")
        create_group(session=session, slug="night-crew", name="Night crew")
        create_user(session=session, username="mweber", role="agent", password="correct horse battery",
                    display_name="Maria Weber")
        session.add(ConfigurationItem(key="plant-a/line3/filler-3", name="Filler 3", kind="machine"))
    ref = open_ticket(app, title="Filler 3 stops", department="fb-hall2", group="night-crew", assignee="mweber",
                      ci="plant-a/line3/filler-3")
    agent = as_role("agent")
    page = agent.text(f"/tickets/{ref}")
    for name in ("Food &amp; Beverage, Hall 2", "Night crew", "Maria Weber", "Filler 3 (plant-a/line3/filler-3)"):
        assert f"<dd>{name}</dd>" in page, name
    assert 'name="assignee" list="agent-names" value="mweber"' in page  # the field still takes the login
    listed = agent.text("/tickets")
    assert "Food &amp; Beverage, Hall 2" in listed and "Maria Weber" in listed
    assert ">fb-hall2<" not in listed and ">mweber<" not in listed
