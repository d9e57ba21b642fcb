"""Forged replies (security finding D18): a reply speaks for the requester only when her mail server says so.

The receiving server (here ``mx.hub.test``) writes its SPF, DKIM and DMARC verdicts into
an Authentication-Results header, as Gmail, Postfix with OpenDMARC or Rspamd do. A reply
that fails them is kept as an internal note for an agent's review, and a reply that is
not proven never reopens a resolved ticket on its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.email.conftest import HUB_ADDRESS, events, poll, ticket_count

pytestmark = pytest.mark.imap

MX = "mx.hub.test"
RECEIVED = ("from mail-out.example.org (mail-out.example.org [192.0.2.10]) by mx.hub.test (Postfix) with ESMTPS "
            "id 4Q1x2Y3z4Wz9abc for <care@hub.test>; Tue, 01 Dec 2026 09:30:02 +0100 (CET)")
FORGED_RECEIVED = ("from relay.bad.example (unknown [203.0.113.66]) by mx.hub.test (Postfix) with ESMTP "
                   "id 4Q1x9Z0aBcDef for <care@hub.test>; Tue, 01 Dec 2026 09:31:40 +0100 (CET)")
PASSED = (f"{MX};\r\n\tdkim=pass header.i=@example.org header.s=s2026 header.b=Xc9kq1Zr;\r\n"
          "\tspf=pass (mx.hub.test: domain of maria@example.org designates 192.0.2.10 as permitted sender) "
          "smtp.mailfrom=maria@example.org;\r\n\tdmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org")
FAILED = (f"{MX};\r\n\tdkim=none (no signature);\r\n"
          "\tspf=fail (mx.hub.test: domain of maria@example.org does not designate 203.0.113.66 as permitted "
          "sender) smtp.mailfrom=maria@example.org;\r\n\tdmarc=fail (p=NONE sp=NONE dis=NONE) header.from=example.org")


def mail(subject: str, body: str, *, message_id: str, results: list[str] | None = None,
         in_reply_to: str | None = None, forged: bool = False) -> bytes:
    """A reply from maria@example.org as it lies in the mailbox: Received and Authentication-Results on top,
    folded as servers fold them."""
    lines = [f"Received: {FORGED_RECEIVED if forged else RECEIVED}"]
    lines += [f"Authentication-Results: {value}" for value in results or []]
    lines += ["From: Maria Lopez <maria@example.org>", f"To: {HUB_ADDRESS}", f"Subject: {subject}",
              "Date: Tue, 01 Dec 2026 09:30:00 +0100", f"Message-ID: {message_id}", "MIME-Version: 1.0",
              "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    if in_reply_to:
        lines += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


@pytest.fixture
def resolved(app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any,
             request: pytest.FixtureRequest) -> dict[str, Any]:
    """Maria's complaint, resolved by an agent; her mail server is trusted unless the test says otherwise."""
    trusted = getattr(request, "param", [MX])
    add_mailbox(mailbox, smtp_sink, trusted_authserv_ids=trusted)
    mailbox.append(mail("Heating broken", "Room 12 is cold.", message_id="<first@example.org>", results=[PASSED]))
    poll(app, api)
    ref = events(app)[0]["ticket"]
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Fixed."}
                    ).status_code == 200
    poll(app, api)
    smtp_sink.clear()
    return {"ref": ref}


def state(api: Any, ref: str) -> dict[str, Any]:
    found = api.get(f"/api/v1/incidents/{ref}").json
    comments = [(c["body"], c["visibility"]) for c in api.get(f"/api/v1/incidents/{ref}/comments").json]
    held = [entry for entry in api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json
            if entry["action"] == "held_for_review"]
    return {"status": found["status"], "tags": found["tags"], "comments": comments, "held": held}


def test_a_forged_reply_with_the_ticket_tag_does_not_reopen_and_is_held_for_review(
        app: Any, api: Any, mailbox: Any, smtp_sink: Any, resolved: dict[str, Any]) -> None:
    """The finding's reproduction: a spoofed From of the requester and "Re: [INC-...]" in the subject."""
    ref = resolved["ref"]
    mailbox.append(mail(f"Re: [{ref}] Heating broken", "Not fixed. Send the invoice to http://bad.example/pay",
                        message_id="<forged-1@bad.example>", results=[FAILED], forged=True))
    poll(app, api)
    after = state(api, ref)
    assert after["status"] == "resolved"
    assert after["comments"][-1] == ("Not fixed. Send the invoice to http://bad.example/pay", "internal")
    assert "needs-review" in after["tags"]
    (held,) = after["held"]
    assert "the sender failed authentication (dmarc=fail header.from=example.org (mx.hub.test))" in held["note"]
    event = events(app)[-1]
    assert (event["action"], event["ticket"]) == ("commented", ref) and "Held for review" in event["reason"]
    assert ticket_count(app) == 1
    assert smtp_sink.messages == []  # the requester is not mailed a stranger's words


def test_a_forged_reply_on_an_open_ticket_is_not_the_requesters_public_comment(
        app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> None:
    add_mailbox(mailbox, smtp_sink, trusted_authserv_ids=[MX])
    mailbox.append(mail("Heating broken", "Room 12 is cold.", message_id="<first@example.org>", results=[PASSED]))
    poll(app, api)
    ack = smtp_sink.wait_for(1)[0].message
    ref = events(app)[0]["ticket"]
    # The forger even names the hub's acknowledgement (its Message-ID) and adds a header of his own
    # claiming a pass from the trusted server: the real one, above it, decides.
    mailbox.append(mail("Re: Heating broken", "Please call me on +1 555 0100.", message_id="<forged-2@bad.example>",
                        results=[FAILED, f"{MX}; dmarc=pass header.from=example.org"], in_reply_to=ack["Message-ID"],
                        forged=True))
    poll(app, api)
    after = state(api, ref)
    assert after["status"] == "new"
    assert after["comments"] == [("Please call me on +1 555 0100.", "internal")]
    assert "needs-review" in after["tags"] and len(after["held"]) == 1


def test_a_proven_reply_reopens_the_resolved_ticket(app: Any, api: Any, mailbox: Any, resolved: dict[str, Any]) -> None:
    ref = resolved["ref"]
    mailbox.append(mail(f"Re: [{ref}] Heating broken", "It is cold again.", message_id="<again@example.org>",
                        results=[PASSED], in_reply_to="<first@example.org>"))
    poll(app, api)
    after = state(api, ref)
    assert after["status"] == "in_progress"
    assert after["comments"][-1] == ("It is cold again.", "public")
    assert "needs-review" not in after["tags"] and after["held"] == []


@pytest.mark.parametrize("resolved", [[]], indirect=True, ids=["no-trusted-server"])
def test_without_a_trusted_server_a_reply_never_reopens_on_its_own(app: Any, api: Any, mailbox: Any,
                                                                  resolved: dict[str, Any]) -> None:
    ref = resolved["ref"]
    # A pass from a server nobody named proves nothing: anyone can write that header.
    mailbox.append(mail(f"Re: [{ref}] Heating broken", "It is cold again.", message_id="<again@example.org>",
                        results=[PASSED], in_reply_to="<first@example.org>"))
    poll(app, api)
    after = state(api, ref)
    assert after["status"] == "resolved" and after["comments"][-1] == ("It is cold again.", "internal")
    (held,) = after["held"]
    assert "a reply whose sender is not proven" in held["note"] and "would reopen" in held["note"]
    # An agent who knows her reopens it; the tag comes off.
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"}).status_code == 200
    assert api.patch(f"/api/v1/incidents/{ref}", json={"tags": []}).status_code == 200


def test_without_a_trusted_server_a_reply_to_an_open_ticket_is_still_her_comment(
        app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> None:
    add_mailbox(mailbox, smtp_sink)
    mailbox.append(mail("Heating broken", "Room 12 is cold.", message_id="<first@example.org>"))
    poll(app, api)
    ref = events(app)[0]["ticket"]
    mailbox.append(mail(f"Re: [{ref}] Heating broken", "Still cold.", message_id="<r1@example.org>",
                        in_reply_to="<first@example.org>"))
    poll(app, api)
    after = state(api, ref)
    assert after["comments"] == [("Still cold.", "public")] and after["held"] == []
    # A failure counts from any header, trusted or not: a forger gains nothing by writing one.
    mailbox.append(mail(f"Re: [{ref}] Heating broken", "Forged.", message_id="<f1@bad.example>",
                        results=[FAILED], forged=True))
    poll(app, api)
    assert state(api, ref)["comments"][-1] == ("Forged.", "internal")
