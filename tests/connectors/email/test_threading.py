"""Replies land on their ticket (by thread, then by tag from a participant); robots and the hub itself do not."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from tests.connectors.email.conftest import HUB_ADDRESS, events, poll, ticket_count

pytestmark = pytest.mark.imap


def mail(sender: str, subject: str, body: str, *, message_id: str, in_reply_to: str | None = None,
         headers: dict[str, str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, HUB_ADDRESS, subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return bytes(message)


@pytest.fixture
def opened(app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> dict[str, Any]:
    """A complaint from Maria, its ticket and the acknowledgement she got."""
    add_mailbox(mailbox, smtp_sink)
    mailbox.append(mail("Maria Lopez <maria@example.org>", "Heating broken", "Room 12 is cold.",
                        message_id="<first@example.org>"))
    poll(app, api)
    ack = smtp_sink.wait_for(1)[0].message
    smtp_sink.clear()
    return {"ref": events(app)[0]["ticket"], "ack_id": ack["Message-ID"], "subject": ack["Subject"]}


def comments(api: Any, ref: str) -> list[tuple[str, str]]:
    return [(c["body"], c["visibility"]) for c in api.get(f"/api/v1/incidents/{ref}/comments").json]


def test_reply_to_the_acknowledgement_is_a_public_comment_and_is_not_mailed_back(
        app: Any, api: Any, mailbox: Any, smtp_sink: Any, opened: dict[str, Any]) -> None:
    mailbox.append(mail("maria@example.org", "Re: Heating broken", "Still cold.\n\n> old text",
                        message_id="<r1@example.org>", in_reply_to=opened["ack_id"]))
    poll(app, api)
    assert events(app)[-1]["action"] == "commented" and events(app)[-1]["ticket"] == opened["ref"]
    assert comments(api, opened["ref"]) == [("Still cold.", "public")]
    assert ticket_count(app) == 1
    assert smtp_sink.messages == []  # her own words are not sent back to her


def test_agent_comment_reaches_the_requester_threaded_and_her_answer_comes_back(
        app: Any, api: Any, mailbox: Any, smtp_sink: Any, opened: dict[str, Any]) -> None:
    ref = opened["ref"]
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A technician is on the way."}
                    ).status_code == 201
    from tests.support.jobs import drain

    drain(app)
    update = smtp_sink.wait_for(1)[0].message
    assert "A technician is on the way." in update.get_content()
    assert opened["ack_id"] in update["References"] and "<first@example.org>" in update["References"]
    mailbox.append(mail("maria@example.org", f"Re: {update['Subject']}", "Thanks!",
                        message_id="<r2@example.org>", in_reply_to=update["Message-ID"]))
    poll(app, api)
    assert comments(api, ref)[-1] == ("Thanks!", "public")


@pytest.mark.parametrize(("reopen", "status"), [(True, "in_progress"), (False, "resolved")])
def test_reply_to_a_resolved_ticket_reopens_it_if_configured(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                           add_mailbox: Any, reopen: bool, status: str) -> None:
    # Her mail server vouches for her (tests/connectors/email/test_sender_check.py: and when it does not).
    add_mailbox(mailbox, smtp_sink, reopen_on_reply=reopen, trusted_authserv_ids=["mx.hub.test"])
    mailbox.append(mail("maria@example.org", "Heating broken", "Cold.", message_id="<first@example.org>"))
    poll(app, api)
    ref = events(app)[0]["ticket"]
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Fixed."}
                    ).status_code == 200
    mailbox.append(mail("maria@example.org", f"Re: [{ref}] Heating broken", "It is cold again.",
                        message_id="<again@example.org>", in_reply_to="<first@example.org>",
                        headers={"Authentication-Results": "mx.hub.test; dkim=pass header.d=example.org; "
                                 "dmarc=pass header.from=example.org"}))
    poll(app, api)
    assert api.get(f"/api/v1/incidents/{ref}").json["status"] == status
    assert comments(api, ref)[-1] == ("It is cold again.", "public")
    assert ticket_count(app) == 1


def test_subject_tag_is_accepted_only_from_a_participant(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                       opened: dict[str, Any]) -> None:
    ref = opened["ref"]
    mailbox.append(mail("maria@example.org", f"[{ref}] one more thing", "The window too.",
                        message_id="<tag1@example.org>"))
    mailbox.append(mail("mallory@evil.example", f"Re: [{ref}] Heating broken", "Click here.",
                        message_id="<tag2@evil.example>"))
    poll(app, api)
    maria, mallory = events(app)[-2:]
    assert (maria["action"], maria["ticket"]) == ("commented", ref)
    assert mallory["action"] == "created" and mallory["ticket"] != ref
    assert comments(api, ref) == [("The window too.", "public")]


def test_out_of_office_and_bounce_of_a_real_thread(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                  opened: dict[str, Any]) -> None:
    ref = opened["ref"]
    mailbox.append(mail("maria@example.org", f"Automatic reply: {opened['subject']}", "Away until Monday.",
                        message_id="<ooo@example.org>", in_reply_to=opened["ack_id"],
                        headers={"Auto-Submitted": "auto-replied"}))
    original = EmailMessage()
    original["From"], original["To"] = HUB_ADDRESS, "maria@example.org"
    original["Subject"], original["Message-ID"] = opened["subject"], opened["ack_id"]
    original.set_content("We have received your request")
    bounce = EmailMessage()
    bounce["From"], bounce["To"] = "MAILER-DAEMON@mx.example.org", HUB_ADDRESS
    bounce["Subject"], bounce["Message-ID"] = "Undelivered Mail Returned to Sender", "<dsn-1@mx.example.org>"
    bounce.set_content("550 5.1.1 <maria@example.org>: mailbox full")
    bounce.add_attachment(original)
    raw = bytes(bounce).replace(b"multipart/mixed", b"multipart/report; report-type=delivery-status", 1)
    mailbox.append(raw)
    poll(app, api)
    ooo, dsn = events(app)[-2:]
    assert ooo["status"] == "ignored" and ooo["ticket"] is None
    assert (dsn["status"], dsn["action"], dsn["ticket"]) == ("applied", "commented", ref)
    notes = comments(api, ref)
    assert len(notes) == 1 and notes[0][1] == "internal" and "mailbox full" in notes[0][0]
    assert api.get(f"/api/v1/incidents/{ref}").json["status"] == "new"
    assert smtp_sink.messages == [] and ticket_count(app) == 1


def test_mail_from_the_hubs_own_addresses_is_ignored(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                   add_mailbox: Any) -> None:
    add_mailbox(mailbox, smtp_sink, own_addresses=["alerts@hub.test"])
    mailbox.append(mail(HUB_ADDRESS, "[INC-000001] Received: x", "echo", message_id="<e1@hub.test>"))
    mailbox.append(mail("Alerts <ALERTS@hub.test>", "Daily report", "echo", message_id="<e2@hub.test>"))
    poll(app, api)
    assert [(e["status"], "own address" in e["reason"]) for e in events(app)] == [("ignored", True)] * 2
    assert ticket_count(app) == 0 and smtp_sink.messages == []


def test_acknowledgements_to_one_sender_are_rate_limited(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                       add_mailbox: Any) -> None:
    assert api.put("/api/v1/admin/plugins/notify/settings", json={"settings": {"ack_limit": 2}}).status_code == 200
    add_mailbox(mailbox, smtp_sink)
    for number in range(4):
        mailbox.append(mail("robot@example.com", f"Alert {number}", "disk full", message_id=f"<a{number}@ex.com>"))
    mailbox.append(mail("person@example.com", "Printer", "jammed", message_id="<p@ex.com>"))
    poll(app, api)
    assert ticket_count(app) == 5
    sent = [message.rcpt_tos for message in smtp_sink.wait_for(3)]
    assert sorted(sent) == [("person@example.com",), ("robot@example.com",), ("robot@example.com",)]
