"""Sending without a mailbox: the ``smtp`` connector, against a real SMTP server (aiosmtpd).

A facilities team with a relay but no IMAP mailbox must still acknowledge every report and
tell the requester what happens; mail the server refuses is a dead letter with its reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.jobs import drain
from tests.support.waiting import wait_until

SENDER = "facilities@hub.test"


def smtp_only(sink: Any, **config: Any) -> dict[str, Any]:
    settings = {"smtp_host": sink.host, "smtp_port": sink.port, "smtp_security": "plain", "from_address": SENDER,
                "from_name": "Facilities", **config}
    return {"connector": "smtp", "slug": "relay", "enabled": True, "config": settings}


def open_ticket(api: Any, email: str = "guest@example.org") -> str:
    response = api.post("/api/v1/incidents", json={"title": "Heating off in room 12", "description": "Cold.",
                                                    "requester": {"name": "Gina Guest", "email": email}})
    assert response.status_code == 201, response.json
    return str(response.json["ref"])


def test_the_acknowledgement_goes_out_with_only_an_smtp_server(app: Any, api: Any, smtp_sink_factory: Any) -> None:
    sink = smtp_sink_factory(starttls=True, require_starttls=True, users={"hub": "relay-pw"}, auth_required=True)
    created = api.post("/api/v1/admin/instances", json=smtp_only(
        sink, smtp_security="starttls", smtp_username="hub", smtp_password="relay-pw", ca_file=str(sink.cafile)))
    assert created.status_code == 201, created.json
    assert "password" not in str(created.json["config"].get("smtp_password", ""))  # write-only secret
    ref = open_ticket(api)
    drain(app, until=lambda: len(sink.messages) >= 1, what="the acknowledgement to reach the SMTP server")
    (mail,) = sink.messages
    assert mail.rcpt_tos == ("guest@example.org",)
    assert (mail.login, mail.tls) == ("hub", True)
    assert f"[{ref}]" in mail.message["Subject"] and mail.message["From"] == f"Facilities <{SENDER}>"
    assert "/s/" in mail.message.get_content()  # the requester's status link


def test_the_connection_check_names_the_server(api: Any, smtp_sink: Any) -> None:
    assert api.post("/api/v1/admin/instances", json=smtp_only(smtp_sink)).status_code == 201
    answer = api.post("/api/v1/admin/instances/relay/test").json
    assert answer["ok"] is True and f"{smtp_sink.host}:{smtp_sink.port}" in answer["detail"]


def test_a_refused_login_is_a_readable_check_failure(api: Any, smtp_sink_factory: Any) -> None:
    sink = smtp_sink_factory(users={"hub": "right"}, auth_required=True, auth_require_tls=False)
    assert api.post("/api/v1/admin/instances", json=smtp_only(sink, smtp_username="hub",
                                                              smtp_password="wrong")).status_code == 201
    answer = api.post("/api/v1/admin/instances/relay/test").json
    assert answer["ok"] is False and "SMTP login refused" in answer["detail"]


def test_a_user_without_a_password_is_refused_with_a_field_error(api: Any, smtp_sink: Any) -> None:
    answer = api.post("/api/v1/admin/instances", json=smtp_only(smtp_sink, smtp_username="hub"))
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "smtp_password" in str(answer.json)


def test_mail_the_server_refuses_is_a_dead_letter_with_the_reason(app: Any, api: Any, smtp_sink: Any) -> None:
    assert api.post("/api/v1/admin/instances", json=smtp_only(smtp_sink)).status_code == 201
    smtp_sink.fail_next("550 5.1.1 Mailbox unknown")
    open_ticket(api, email="nobody@example.org")

    def dead() -> list[dict[str, Any]]:
        drain(app)
        return list(api.get("/api/v1/admin/outbox?status=dead").json)

    (letter,) = wait_until(dead, what="the refused mail to be a dead letter")
    assert "550" in str(letter) and "Mailbox unknown" in str(letter)


@pytest.mark.parametrize("action", ["create", "comment"])
def test_it_sends_mail_only(action: str) -> None:
    from dataclasses import replace

    from connectors.email.outbound import SmtpOnlyConnector
    from hub.sdk import FatalError
    from hub.testing import build, default_push_message

    connector = build(SmtpOnlyConnector, {"smtp_host": "127.0.0.1", "from_address": SENDER})
    with pytest.raises(FatalError, match="sends mail only"):
        connector.push(replace(default_push_message(), action=action))
