"""Writing mail: Message-IDs that thread and cannot be guessed, and messages that say they are automatic."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage

from hub.sdk.mailheaders import MESSAGE_ID, SUBJECT_MAX

__all__ = ["build_message", "domain_of", "make_message_id"]


def make_message_id(key: str, domain: str, secret: str | bytes | None = None) -> str:
    """A stable Message-ID for a delivery key: a resend carries the same id, so clients dedupe it.

    With ``secret`` (the hub's secret key) nobody can compute it from the key: a reply naming
    it proves its writer received the mail, which threading by In-Reply-To relies on.
    """
    data = key.encode("utf-8", "replace")
    if secret:
        digest = hmac.new(secret if isinstance(secret, bytes) else secret.encode(), data, "sha256").hexdigest()[:32]
    else:
        digest = hashlib.sha256(data).hexdigest()[:32]
    host = re.sub(r"[^A-Za-z0-9.-]", "", domain or "") or "itsm-hub.invalid"
    return f"<hub.{digest}@{host}>"


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(">").lower() if "@" in (address or "") else ""


def build_message(*, sender: str, to: list[str], subject: str, body: str, message_id: str,
                  cc: list[str] | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
                  reply_to: str | None = None, headers: dict[str, str] | None = None,
                  date: datetime | None = None) -> EmailMessage:
    """A plain-text message marked as automatic (RFC 3834), threaded onto ``references``."""
    from email.utils import format_datetime, localtime

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = re.sub(r"[\r\n]+", " ", subject)[:SUBJECT_MAX]
    message["Date"] = format_datetime(date or localtime())
    message["Message-ID"] = message_id
    chain = [ref for ref in dict.fromkeys(references or []) if MESSAGE_ID.fullmatch(ref)][-20:]
    parent = in_reply_to or (chain[-1] if chain else None)
    if parent:
        message["In-Reply-To"] = parent
    if chain:
        message["References"] = " ".join(chain)
    message["Auto-Submitted"] = "auto-generated"
    # Exchange and Outlook: no out-of-office or other automatic answers to this mail.
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in (headers or {}).items():
        message[name] = re.sub(r"[\r\n]+", " ", value)
    message.set_content(body or "", charset="utf-8")
    return message
