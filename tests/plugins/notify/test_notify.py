"""What the requester is told, and when nothing is sent."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.jobs import drain

pytestmark = pytest.mark.imap


@pytest.fixture
def mailer(app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> Any:
    add_mailbox(mailbox, smtp_sink, templates={
        "status": {"subject": "Status of $ref: $status", "body": "Dear $requester_name, now $status. $status_url"}})
    return smtp_sink


def open_ticket(api: Any, **requester: str) -> str:
    body = {"title": "Printer on floor 3 jammed", "description": "Tray 2."}
    if requester:
        body["requester"] = requester
    response = api.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.json
    return response.json["ref"]  # type: ignore[no-any-return]


def sent(app: Any, sink: Any) -> list[Any]:
    drain(app)
    return [message.message for message in sink.messages]


def test_acknowledgement_then_comment_status_and_resolution(app: Any, api: Any, mailer: Any) -> None:
    ref = open_ticket(api, name="Jane Doe", email="jane@example.com")
    ack = sent(app, mailer)
    assert len(ack) == 1 and ack[0]["To"] == "jane@example.com" and ref in ack[0]["Subject"]
    link = re.search(r"http://hub\.test(/s/[\w-]+)", ack[0].get_content()).group(1)
    assert app.test_client().get(link).status_code == 200

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Ordered a new roller."})
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Vendor is slow.", "visibility": "internal"})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Roller replaced."})
    mails = sent(app, mailer)
    assert len(mails) == 4
    comment, status, resolution = mails[1:]
    assert "Ordered a new roller." in comment.get_content() and "Vendor" not in comment.get_content()
    # The instance's own template for status mail; the ticket tag is kept in front.
    assert status["Subject"] == f"[{ref}] Status of {ref}: in_progress"
    assert status.get_content().startswith("Dear Jane Doe, now in_progress. http://hub.test/s/")
    assert ref in resolution["Subject"] and "confirm" in resolution.get_content() and link in resolution.get_content()
    # Every mail threads on the acknowledgement and is marked automatic.
    for message in mails[1:]:
        assert ack[0]["Message-ID"] in message["References"]
        assert message["Auto-Submitted"] == "auto-generated"
    assert len({m["Message-ID"] for m in mails}) == 4


def test_nothing_for_tickets_without_a_requester_email(app: Any, api: Any, mailer: Any) -> None:
    ref = open_ticket(api)
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Looked at it."})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Done."})
    assert sent(app, mailer) == []


def test_nothing_when_switched_off(app: Any, api: Any, mailer: Any) -> None:
    response = api.put("/api/v1/admin/plugins/notify/settings", json={"settings": {
        "acknowledge": False, "comments": False, "resolution": False, "status_changes": []}})
    assert response.status_code == 200, response.json
    ref = open_ticket(api, name="Jane", email="jane@example.com")
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Looked at it."})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Done."})
    assert sent(app, mailer) == []


def test_requesters_own_actions_are_not_echoed(app: Any, api: Any, mailer: Any) -> None:
    from hub.app import services
    from hub.sdk.actors import Actor

    ref = open_ticket(api, name="Jane", email="jane@example.com")
    sent(app, mailer)
    mailer.clear()
    with app.extensions["hub"].db.transaction() as session:
        jane = Actor(type="requester", name="Jane", origin="connector:care", id="jane@example.com")
        services.add_comment(session, ref, "Any news?", jane)
        services.transition(session, ref, "cancelled", Actor.requester("Jane"))
    assert sent(app, mailer) == []


def test_smtp_refusals_retry_or_dead_letter(app: Any, api: Any, mailer: Any) -> None:
    mailer.fail_next("451 4.3.0 Try again later")
    ref = open_ticket(api, name="Jane", email="jane@example.com")
    drain(app, until=lambda: len(mailer.messages) == 1)
    assert ref in mailer.messages[0].message["Subject"]
    mailer.fail_next("550 5.1.1 No such user", times=5)
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Hello?"})
    drain(app)
    dead = api.get("/api/v1/admin/outbox", query_string={"status": "dead"}).json
    items = dead["items"] if isinstance(dead, dict) else dead
    assert len(items) == 1 and "550" in items[0]["last_error"]


def test_mail_never_sent_is_never_named_in_a_thread(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                    add_mailbox: Any) -> None:
    """A mail that could not be queued (no instance sends mail) leaves no Message-ID to refer to."""
    from hub.app import services

    ref = open_ticket(api, name="Jane Doe", email="jane@example.com")  # no mail instance yet: no acknowledgement
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Looking into it."})
    with app.extensions["hub"].db.reading() as session:
        assert services.thread_keys(session, ref) == []
    add_mailbox(mailbox, smtp_sink)
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Ordered a new roller."})
    (update,) = sent(app, smtp_sink)
    assert "Ordered a new roller." in update.get_content()
    # The first mail she gets starts the thread: it answers nothing she never received.
    assert update["In-Reply-To"] is None and update["References"] is None
    with app.extensions["hub"].db.reading() as session:
        assert services.thread_keys(session, ref) == [update["Message-ID"]]


def test_a_mails_message_id_cannot_be_computed_from_the_ticket(app: Any, api: Any, mailer: Any) -> None:
    """Replies thread by the Message-ID the hub sent; an outsider who knows the reference must not guess it."""
    from hub.sdk.mail import make_message_id

    ref = open_ticket(api, name="Jane Doe", email="jane@example.com")
    (ack,) = sent(app, mailer)
    assert ack["Message-ID"] != make_message_id(f"notify:{ref}:ack", "hub.test")  # what anyone could compute
    assert ack["Message-ID"] == make_message_id(f"notify:{ref}:ack", "hub.test", "test-secret-key")


def test_a_merged_duplicates_requester_is_told_once_with_their_own_link(app: Any, api: Any, mailer: Any) -> None:
    main = open_ticket(api, name="Mia", email="mia@example.com")
    dup = open_ticket(api, name="Omar", email="omar@example.com")
    links = {mail["To"]: re.search(r"http://hub\.test(/s/[\w-]+)", mail.get_content()).group(1)  # type: ignore[union-attr]
             for mail in sent(app, mailer)}
    mailer.clear()
    assert api.post(f"/api/v1/incidents/{dup}/merge", json={"into": main}).status_code == 200
    # One mail, the merge's public comment: no second "is closed" mail, nothing to the main requester.
    (told,) = sent(app, mailer)
    assert told["To"] == "omar@example.com" and dup in told["Subject"]
    body = told.get_content()
    assert main in body and links["omar@example.com"] in body and links["mia@example.com"] not in body
    page = app.test_client().get(links["omar@example.com"]).get_data(as_text=True)
    assert f"Merged into {main}." in page and "Mia" not in page
