"""Mail out: an outbox ``mail`` message rendered with the instance's templates and sent by SMTP.

A message's Message-ID is derived from its outbox key (or given by the feature that
queued it and remembered as the ticket's thread key), so a resend after a lost answer
carries the same id: mail clients and most servers show it once. Every mail says it is
automatic (``Auto-Submitted: auto-generated``) so well-behaved robots never answer it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import formataddr
from string import Template
from typing import Any

from connectors.email.config import port_of
from connectors.email.imap import tls_context
from hub.sdk import AuthenticationError, FatalError, OutboundMessage, RetriableError
from hub.sdk.mail import build_message, domain_of, make_message_id

TIMEOUT = 30.0


def render(config: dict[str, Any], payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and body: the instance's template for this kind of mail, else the text the feature wrote."""
    subject, body = str(payload.get("subject") or ""), str(payload.get("body") or "")
    template = (config.get("templates") or {}).get(str(payload.get("template") or ""))
    if template:
        values = {key: "" if value is None else str(value) for key, value in (payload.get("context") or {}).items()}
        values.setdefault("subject", subject)
        values.setdefault("body", body)
        # string.Template: $names only, no attribute or index access into the values.
        subject = Template(template.get("subject") or "$subject").safe_substitute(values)
        body = Template(template.get("body") or "$body").safe_substitute(values)
    return subject, body


def compose(config: dict[str, Any], message: OutboundMessage) -> tuple[Any, list[str]]:
    """The MIME message for an outbox ``mail`` message, and its envelope recipients."""
    payload = message.payload
    to = [str(address) for address in payload.get("to") or [] if "@" in str(address)]
    cc = [str(address) for address in payload.get("cc") or [] if "@" in str(address)]
    if not to:
        raise FatalError("The mail has no recipient.")
    context = payload.get("context") or {}
    subject, body = render(config, payload)
    ref = message.ticket.ref if message.ticket is not None else context.get("ref")
    if ref and f"[{ref}]" not in subject:
        subject = f"[{ref}] {subject}".strip()  # the tag lets replies find the ticket even without headers
    sender = formataddr((config.get("from_name") or "", config["from_address"]))
    message_id = str(context.get("message_id") or make_message_id(message.idempotency_key,
                                                                  domain_of(config["from_address"])))
    references = [str(item) for item in context.get("references") or []]
    headers = {"X-ITSM-Hub-Ticket": ref} if ref else {}
    mime = build_message(sender=sender, to=to, cc=cc, subject=subject or "(no subject)", body=body,
                         message_id=message_id, references=references, headers=headers)
    return mime, to + cc


class SmtpSender:
    """One SMTP connection, opened on first use and kept for the delivery job."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None

    def send(self, mime: Any, recipients: list[str]) -> str:
        for attempt in (1, 2):
            client = self._connect()
            try:
                refused = client.send_message(mime, from_addr=self.config["from_address"], to_addrs=recipients)
            except smtplib.SMTPServerDisconnected:
                self.close()
                if attempt == 2:
                    raise RetriableError("The SMTP server closed the connection.") from None
                continue  # a kept connection the server timed out: one fresh try
            except smtplib.SMTPRecipientsRefused as exc:
                raise _refused(exc.recipients) from None
            except smtplib.SMTPResponseException as exc:
                raise _answer(exc.smtp_code, exc.smtp_error) from None
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                raise RetriableError(f"Sending failed: {exc}") from None
            if refused:
                return f"sent; refused for {', '.join(sorted(refused))}"
            return "sent"
        raise RetriableError("not sent")  # pragma: no cover - the loop returns or raises

    def connect(self) -> smtplib.SMTP:
        """The open connection (opened and logged in on first use)."""
        return self._connect()

    def _connect(self) -> smtplib.SMTP:
        if self.client is not None:
            return self.client
        config = self.config
        host, port = config["smtp_host"], port_of(config, "smtp")
        client: smtplib.SMTP | None = None
        try:
            if config["smtp_security"] == "tls":
                client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=tls_context(config))
            else:
                client = smtplib.SMTP(host, port, timeout=TIMEOUT)
                if config["smtp_security"] == "starttls":
                    client.starttls(context=tls_context(config))
            if config.get("smtp_username"):
                client.login(config["smtp_username"], config.get("smtp_password") or "")
        except (OSError, smtplib.SMTPException) as exc:
            if client is not None:
                client.close()  # a refused login or TLS handshake must not leave the socket open
            raise _connect_error(exc, host, port) from None
        self.client = client
        return client

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _connect_error(exc: BaseException, host: str, port: int) -> Exception:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FatalError(f"The SMTP server's certificate is not trusted ({exc.verify_message}).")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return AuthenticationError(f"SMTP login refused: {exc.smtp_code} {_decode(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return FatalError(f"The SMTP server does not support this: {exc}")
    return RetriableError(f"Cannot reach SMTP {host}:{port}: {exc}")


def _answer(code: int, text: Any) -> Exception:
    message = f"SMTP {code} {_decode(text)}"
    return FatalError(message) if 500 <= code < 600 else RetriableError(message)


def _refused(recipients: dict[str, tuple[int, Any]]) -> Exception:
    detail = "; ".join(f"{address}: {code} {_decode(text)}" for address, (code, text) in recipients.items())
    permanent = all(500 <= code < 600 for code, _ in recipients.values())
    return FatalError(f"Every recipient was refused: {detail}") if permanent else \
        RetriableError(f"Recipients refused for now: {detail}")


def _decode(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
