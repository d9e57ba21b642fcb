"""Sending mail: the part of the email connector that needs no mailbox, and the send-only
connector built from it.

A hub that only has to tell people things (acknowledgements, updates, agents'
notifications) needs an SMTP server, not an IMAP mailbox as well: the ``smtp`` connector
is that. Both connectors send the outbox's ``mail`` messages the same way (templates,
threading Message-IDs, a kept SMTP connection), and a mail that cannot be sent becomes a
dead letter with the server's reason, on the admin page like any other delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.email.config import SmtpOnlyConfig, port_of
from connectors.email.sending import SmtpSender, compose
from hub.sdk import FatalError, OutboundMessage, Pusher, PushResult


class MailSender(Pusher):
    """Sends the outbox's ``mail`` messages over SMTP with the instance's sending settings."""

    sends_mail = True
    _sender: SmtpSender | None = None

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        return "none"  # only mail to people (outbox action "mail"), never ticket changes

    def push(self, message: OutboundMessage) -> PushResult:
        if message.action != "mail":
            raise FatalError(f"The {self.slug} connector sends mail only, not {message.action!r} messages.")
        mime, recipients = compose(self.config, message)
        if self._sender is None:
            self._sender = SmtpSender(self.config)
        detail = self._sender.send(mime, recipients)
        return PushResult(detail=f"{detail}: {mime['Message-ID']} to {', '.join(recipients)}",
                          data={"message_id": str(mime["Message-ID"])})

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None


class SmtpOnlyConnector(MailSender):
    slug = "smtp"
    title = "Outbound mail (SMTP only)"
    version = "1.0.0"
    description = ("Sends acknowledgements, updates and notifications through an SMTP server, with no mailbox "
                   "to read. Add an Email (IMAP and SMTP) instance instead when replies should reach tickets.")
    config_schema = SmtpOnlyConfig

    def check_connection(self) -> str:
        sender = SmtpSender(self.config)
        try:
            client = sender.connect()
            code, _ = client.noop()
        finally:
            sender.close()
        if code != 250:
            raise FatalError(f"The SMTP server answered NOOP with {code}.")
        login = f" as {self.config['smtp_username']}" if self.config.get("smtp_username") else ""
        return (f"SMTP {self.config['smtp_host']}:{port_of(self.config, 'smtp')} "
                f"({self.config['smtp_security']}) accepts connections{login}")



