"""Broken MIME as it reaches a mailbox in real life: through an MTA (Exim), Dovecot's LDA and IMAP.

Each message opens its ticket with as much of its text and files as can be read, and the
event's reason names what was broken, as docs/connectors/email.md promises: the reason is
in the event list and on the ticket's timeline, so an agent knows to look at the original.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.connectors.email.conftest import events, poll
from tests.connectors.email.mta import Mta

pytestmark = pytest.mark.imap

BROKEN = Path(__file__).resolve().parent / "broken"
NAMES = ("10-wrong-boundary.eml", "11-cut-short.eml", "12-wrong-charset.eml", "13-unknown-charset.eml")


@pytest.fixture
def mta(dovecot: Any, tmp_path: Path) -> Mta:
    return Mta(dovecot, tmp_path / "exim")


@pytest.fixture
def delivered(app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any, mta: Mta) -> dict[str, Any]:
    """The four messages delivered by the MTA, then one poll through the job path."""
    add_mailbox(mailbox, smtp_sink)
    for name in NAMES:
        mta.deliver((BROKEN / name).read_bytes(), to=mailbox)
    stored = mailbox.messages()
    assert len(stored) == 4 and all(b"Received: from" in message.raw for message in stored)  # through Exim
    poll(app, api)
    by_key = {event["key"]: event for event in events(app)}
    keys = {"10-wrong-boundary.eml": "mid:<20261201091244.5512@mail.example.org>",
            "11-cut-short.eml": "mid:<cut-short-7731@example.net>",
            "12-wrong-charset.eml": "mid:<wrong-charset-20261201@example.de>",
            "13-unknown-charset.eml": "mid:<unknown-charset-4411@example.kr>"}
    return {name: by_key[key] for name, key in keys.items()}


def ticket(api: Any, ref: str) -> dict[str, Any]:
    found = api.get(f"/api/v1/incidents/{ref}")
    assert found.status_code == 200, found.json
    return found.json  # type: ignore[no-any-return]


def test_each_broken_message_opens_its_ticket_with_the_problem_named(api: Any, delivered: dict[str, Any]) -> None:
    assert {name: (event["status"], event["action"]) for name, event in delivered.items()} == dict.fromkeys(
        NAMES, ("applied", "created"))
    for name, event in delivered.items():
        assert event["reason"] and event["reason"].startswith("Broken MIME, read as far as possible:"), name


def test_a_body_that_does_not_use_its_declared_boundary_is_read_with_the_one_it_uses(
        api: Any, delivered: dict[str, Any]) -> None:
    event = delivered["10-wrong-boundary.eml"]
    assert 'does not use the boundary its Content-Type declares' in event["reason"]
    found = ticket(api, event["ticket"])
    assert found["description"] == ("Hello,\n\nthe printer on floor 2 (HP M507, asset PR-0207) jams on every page "
                                    "since this morning.\n\nAnn")


def test_a_message_cut_short_keeps_its_text_and_what_the_file_had(api: Any, delivered: dict[str, Any]) -> None:
    event = delivered["11-cut-short.eml"]
    assert "the last part is never closed" in event["reason"]
    assert "broken base64 in delivery-note.pdf" in event["reason"]
    ref = event["ticket"]
    assert ticket(api, ref)["description"] == "Scan of the damaged delivery note attached. Pallet 3 of 4 was crushed."
    (pdf,) = api.get(f"/api/v1/incidents/{ref}/attachments").json
    assert pdf["filename"] == "delivery-note.pdf" and 0 < pdf["size"] < 180
    content = api.get(f"/api/v1/incidents/{ref}/attachments/{pdf['id']}")
    assert content.data.startswith(b"%PDF-1.4")  # decoded as far as it goes, not the base64 text


def test_text_in_another_charset_than_declared_is_read_and_named(api: Any, delivered: dict[str, Any]) -> None:
    event = delivered["12-wrong-charset.eml"]
    assert "text that is not utf-8 as declared; read as Windows-1252" in event["reason"]
    assert ticket(api, event["ticket"])["description"].endswith("Grüße\nJürgen Weiß")


def test_an_unknown_charset_and_bad_base64_are_named(api: Any, delivered: dict[str, Any]) -> None:
    reason = delivered["13-unknown-charset.eml"]["reason"]
    assert "unknown charset x-user-defined" in reason and "broken base64 in reader.jpg" in reason


def test_the_reason_is_on_the_tickets_timeline(app: Any, delivered: dict[str, Any]) -> None:
    from hub.auth.users import create_user
    from tests.hub.ui.conftest import PASSWORD, Browser

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="agent1", role="agent", password=PASSWORD, email="agent1@hub.test")
    page = Browser(app, "agent1").text(f"/tickets/{delivered['11-cut-short.eml']['ticket']}")
    assert "Broken MIME, read as far as possible:" in page and "the last part is never closed" in page
