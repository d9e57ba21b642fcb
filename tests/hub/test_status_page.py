"""The requester's status page: plain words, public updates only, markup shown as text."""

from __future__ import annotations

import re
from typing import Any

from hub.tracker.status_links import revoke_status_tokens, status_token
from hub.tracker.tickets import get_ticket


def test_status_page_shows_public_updates_only(app: Any, api: Any, runtime: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "<b>No</b> hot water", "requester": {
        "name": "Maria", "email": "maria@example.org"}}).json["ref"]
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Plumber costs 300 EUR", "visibility": "internal"})
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A plumber comes at 14:00 <script>x</script>"})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"})
    with runtime.db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
        assert status_token(session, get_ticket(session, ref)) == token  # the same link every time
    page = app.test_client().get(f"/s/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Being worked on." in html and "A plumber comes at 14:00" in html
    assert "300 EUR" not in html
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;No&lt;/b&gt; hot water" in html
    with runtime.db.transaction() as session:
        assert revoke_status_tokens(session, get_ticket(session, ref)) == 1
    gone = app.test_client().get(f"/s/{token}")
    assert gone.status_code == 404 and "not valid" in gone.get_data(as_text=True)
    assert app.test_client().get("/s/guess").status_code == 404


def _page(app: Any, api: Any, runtime: Any, **requester: str) -> tuple[str, str, Any]:
    ref = api.post("/api/v1/incidents", json={"title": "Window will not close", "requester": {
        "name": "Omar", "email": "omar@example.org", **requester}}).json["ref"]
    with runtime.db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
    return ref, f"/s/{token}", app.test_client()


def _post(client: Any, page: str, action: str, **form: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no form on the page"
    return str(client.post(f"{page}/{action}", data={"csrf_token": match.group(1), **form},
                           follow_redirects=True).get_data(as_text=True))


def test_a_reply_becomes_a_public_comment_by_the_requester(app: Any, api: Any, runtime: Any) -> None:
    ref, page, client = _page(app, api, runtime)
    html = _post(client, page, "reply", body="It is room 12, <i>second</i> floor")
    assert "Your message was added" in html and "room 12, &lt;i&gt;second&lt;/i&gt; floor" in html
    comments = api.get(f"/api/v1/incidents/{ref}/comments").json
    assert [(c["body"], c["visibility"]) for c in comments] == [("It is room 12, <i>second</i> floor", "public")]
    assert "Write a message first" in _post(client, page, "reply", body="   ")


def test_the_forms_need_the_csrf_token(app: Any, api: Any, runtime: Any) -> None:
    _, page, client = _page(app, api, runtime)
    client.get(page)
    assert client.post(f"{page}/reply", data={"body": "hi"}).status_code == 400


def test_confirming_closes_and_denying_reopens(app: Any, api: Any, runtime: Any) -> None:
    ref, page, client = _page(app, api, runtime)
    assert "Is it solved?" not in client.get(page).get_data(as_text=True)
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Hinge oiled"})
    html = client.get(page).get_data(as_text=True)
    assert "Is it solved?" in html and "Hinge oiled" in html
    assert "the team is on it again" in _post(client, page, "confirm", solved="no", note="Still stuck")
    assert api.get(f"/api/v1/incidents/{ref}").json["status"] == "in_progress"
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "New hinge"})
    assert "the ticket is closed" in _post(client, page, "confirm", solved="yes")
    assert api.get(f"/api/v1/incidents/{ref}").json["status"] == "closed"
    closed = client.get(page).get_data(as_text=True)
    assert "Add a message" not in closed and "Is it solved?" not in closed


def test_rating_once_per_ticket_even_after_a_reopen(app: Any, api: Any, runtime: Any) -> None:
    ref, page, client = _page(app, api, runtime)
    assert "How satisfied" not in client.get(page).get_data(as_text=True)  # not before resolution
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Done"})
    assert "Please choose a rating" in _post(client, page, "rate", score="")
    assert "Choose 1 to 5" in _post(client, page, "rate", score="9")
    assert "Thank you for your rating" in _post(client, page, "rate", score="2", comment="Slow")
    _post(client, page, "confirm", solved="no")
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Done again"})
    html = client.get(page).get_data(as_text=True)
    assert "How satisfied" not in html and "You rated this 2 out of 5" in html
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["csat_score"] == 2
    trail = [event["action"] for event in api.get(f"/api/v1/incidents/{ref}/audit").json]
    assert trail.count("rated") == 1


def test_a_flood_of_messages_is_slowed_down(app: Any, api: Any, runtime: Any) -> None:
    from hub.ui import status

    _, page, client = _page(app, api, runtime)
    for number in range(status.ACTIONS_PER_HOUR):
        assert "Your message was added" in _post(client, page, "reply", body=f"message {number}")
    assert "Too many messages" in _post(client, page, "reply", body="one more")
