"""Every message in the shared samples, through a real Dovecot and the hub's polling job, with its outcome."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.connectors.email.conftest import events, last_run, poll, sample, ticket_count

pytestmark = pytest.mark.imap

SAMPLE_NAMES = ("01-plain-complaint.eml", "02-html-only.eml", "03-multipart-attachment.eml", "04-reply-to-ack.eml",
                "05-out-of-office.eml", "06-bounce.eml", "07-latin1-crlf.eml", "08-malformed.eml",
                "09-huge-subject.eml")


@pytest.fixture
def outcome(app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> dict[str, Any]:
    """All nine samples appended to the mailbox, then one poll through the job path."""
    add_mailbox(mailbox, smtp_sink)
    uids = {name: mailbox.append(sample(name)) for name in SAMPLE_NAMES}
    poll(app, api)
    by_uid = {event["meta"]["uid"]: event for event in events(app)}
    return {"uids": uids, "events": {name: by_uid[uid] for name, uid in uids.items()}}


def ticket(api: Any, ref: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/incidents/{ref}")
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_each_sample_has_its_documented_outcome(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                outcome: dict[str, Any]) -> None:
    got = outcome["events"]
    assert {name: (event["status"], event["action"]) for name, event in got.items()} == {
        "01-plain-complaint.eml": ("applied", "created"),
        "02-html-only.eml": ("applied", "created"),
        "03-multipart-attachment.eml": ("applied", "created"),
        "04-reply-to-ack.eml": ("applied", "commented"),
        "05-out-of-office.eml": ("ignored", "ignored"),
        "06-bounce.eml": ("ignored", "ignored"),
        "07-latin1-crlf.eml": ("applied", "created"),
        "08-malformed.eml": ("quarantined", None),
        "09-huge-subject.eml": ("applied", "created"),
    }
    assert ticket_count(app) == 5
    # Every message was kept by the hub, so every one is marked processed on the server.
    assert set(mailbox.flags().values()) == {frozenset({r"\Seen"})}
    run = last_run(api)
    assert run["status"] == "ok"


def test_plain_complaint_opens_a_ticket_for_its_sender(api: Any, outcome: dict[str, Any]) -> None:
    ref = outcome["events"]["01-plain-complaint.eml"]["ticket"]
    found = ticket(api, ref)
    assert found["title"] == "Room 4127 - no hot water for three days"
    assert found["requester"] == {"name": "Maria Lopez", "email": "maria.lopez@example.org"}
    assert "Maria López\nBooking ref. QX-55812" in found["description"]
    assert found["source"] == "email"


def test_html_only_mail_is_stored_as_text_with_the_script_as_characters(app: Any, api: Any,
                                                                        outcome: dict[str, Any]) -> None:
    ref = outcome["events"]["02-html-only.eml"]["ticket"]
    found = ticket(api, ref)
    assert found["title"] == "Bestellung Nr. 88213 beschädigt angekommen"  # RFC 2047 subject decoded
    assert found["requester"]["name"] == "Jens Müller"
    assert "meine Bestellung Nr. 88213 ist beschädigt angekommen." in found["description"]
    assert "Mit freundlichen Grüßen\nJens Müller" in found["description"]
    assert "<p>" not in found["description"] and "<html>" not in found["description"]
    # The script is text the agent can see, never markup: a page shows it escaped.
    assert "<script>alert('x')</script>" in found["description"]
    page = app.test_client().get(urlsplit(status_link(app, ref)).path)
    assert page.status_code == 200
    assert b"<script>alert" not in page.data


def test_multipart_mail_keeps_its_attachment_with_a_checksum(api: Any, outcome: dict[str, Any]) -> None:
    import base64
    import hashlib

    ref = outcome["events"]["03-multipart-attachment.eml"]["ticket"]
    found = ticket(api, ref)
    assert found["description"].startswith("Fill volume on line 3 measured at 486 ml")
    files = api.get(f"/api/v1/incidents/{ref}/attachments").json
    assert [(item["filename"], item["content_type"]) for item in files] == [("fill-volume-L3.csv", "text/csv")]
    data = base64.b64decode("c2FtcGxlLHZvbHVtZV9tbAoxLDQ4NgoyLDQ4NwozLDQ4NQo=")
    assert files[0]["sha256"] == hashlib.sha256(data).hexdigest()
    download = api.get(f"/api/v1/incidents/{ref}/attachments/{files[0]['id']}")
    assert download.data == data


def test_reply_threads_onto_the_complaint_without_its_quote(api: Any, outcome: dict[str, Any]) -> None:
    first = outcome["events"]["01-plain-complaint.eml"]["ticket"]
    assert outcome["events"]["04-reply-to-ack.eml"]["ticket"] == first
    comments = api.get(f"/api/v1/incidents/{first}/comments").json
    assert [(c["body"], c["visibility"], c["author_type"]) for c in comments] == [
        ("Still no hot water as of this afternoon.", "public", "requester")]


def test_out_of_office_and_bounce_open_nothing_and_send_nothing(outcome: dict[str, Any], smtp_sink: Any) -> None:
    ooo, bounce = outcome["events"]["05-out-of-office.eml"], outcome["events"]["06-bounce.eml"]
    assert ooo["ticket"] is None and "Auto-Submitted: auto-replied" in ooo["reason"]
    assert bounce["ticket"] is None and "bounce" in bounce["reason"]
    recipients = sorted(address for message in smtp_sink.wait_for(5) for address in message.rcpt_tos)
    assert recipients == ["andre@example.fr", "flood@example.com", "jens.mueller@example.net",
                          "maria.lopez@example.org", "qa-lab@plant-a.example.com"]


def test_latin1_quoted_printable_is_decoded(api: Any, outcome: dict[str, Any]) -> None:
    found = ticket(api, outcome["events"]["07-latin1-crlf.eml"]["ticket"])
    assert found["title"] == "Climatisation en panne à l'atelier"
    assert found["requester"]["name"] == "André François"
    assert found["description"] == "La climatisation de l'atelier B est en panne depuis ce matin. Il fait 31 °C."


def test_malformed_mail_is_quarantined_with_its_reason_and_replayable(api: Any, outcome: dict[str, Any]) -> None:
    event = outcome["events"]["08-malformed.eml"]
    assert event["status"] == "quarantined"
    assert "no usable sender" in event["reason"]
    assert "unknown charset x-unknown-charset" in event["reason"] and "broken base64" in event["reason"]
    listed = api.get("/api/v1/admin/events", query_string={"status": "quarantined"}).json
    assert len(listed["items"] if isinstance(listed, dict) else listed) == 1


def test_huge_subject_is_stored_truncated(api: Any, outcome: dict[str, Any]) -> None:
    found = ticket(api, outcome["events"]["09-huge-subject.eml"]["ticket"])
    assert len(found["title"]) == 500 and found["title"].endswith("\u2026")
    assert found["description"] == "body"


def status_link(app: Any, ref: str) -> str:
    from hub.app.services import status_url

    with app.extensions["hub"].db.transaction() as session:
        return status_url(session, ref)


def test_acknowledgement_carries_a_working_status_link(app: Any, outcome: dict[str, Any], smtp_sink: Any) -> None:
    ref = outcome["events"]["01-plain-complaint.eml"]["ticket"]
    ack = next(m for m in smtp_sink.wait_for(5) if m.rcpt_tos == ("maria.lopez@example.org",))
    message = ack.message
    assert message["Subject"] == f"[{ref}] Received: Room 4127 - no hot water for three days"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"] == "<CAF7k2x9Q-room4127@mail.example.org>"
    assert message["From"] == "Customer Care <care@hub.test>"
    body = message.get_content()
    link = re.search(r"http://hub\.test(/s/[\w-]+)", body)
    assert link, body
    page = app.test_client().get(link.group(1))
    assert page.status_code == 200
    assert ref.encode() in page.data and b"Room 4127" in page.data
