"""Email: IMAP mailboxes in, threaded replies, acknowledgements and updates out by SMTP."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.email.connector import EmailConnector

    return [EmailConnector]
