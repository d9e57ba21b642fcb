"""Email: IMAP mailboxes in, threaded replies, acknowledgements and updates out by SMTP; and
sending alone (the ``smtp`` connector) for a hub with no mailbox to read."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.email.connector import EmailConnector
    from connectors.email.outbound import SmtpOnlyConnector

    return [EmailConnector, SmtpOnlyConnector]
