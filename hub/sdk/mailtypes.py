"""What reading a mail gives: the parsed message, its addresses, files, and what kind of mail it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formataddr

__all__ = ["Automation", "Bounce", "MailAddress", "MailLimits", "MailPart", "ParsedMail"]


@dataclass(frozen=True)
class MailAddress:
    name: str
    email: str
    """Lower-cased."""

    def __str__(self) -> str:
        return formataddr((self.name, self.email)) if self.name else self.email


@dataclass(frozen=True)
class MailLimits:
    """What a connector accepts as attachments; the rest is listed in ``ParsedMail.refused``."""

    max_attachment_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 20
    allowed_types: tuple[str, ...] = ()
    """``image/*``, ``application/pdf``, ...; empty allows every type except blocked extensions."""
    keep_inline_images: bool = True


@dataclass
class MailPart:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    inline: bool = False
    content_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Automation:
    kind: str
    """``bounce``, ``auto-reply``, ``bulk``, ``receipt`` or ``no-auto-reply``."""
    reason: str


@dataclass
class Bounce:
    """A delivery failure report (RFC 3464, or an MTA's plain-text bounce)."""

    original_message_id: str | None = None
    recipients: list[str] = field(default_factory=list)
    action: str | None = None
    status: str | None = None
    diagnostic: str | None = None

    def summary(self) -> str:
        who = ", ".join(self.recipients) or "a recipient"
        parts = [f"Mail to {who} could not be delivered"]
        if self.status:
            parts.append(f"(status {self.status}{', ' + self.action if self.action else ''})")
        text = " ".join(parts) + "."
        return text + (f" The server said: {self.diagnostic}" if self.diagnostic else "")


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: MailAddress | None = None
    reply_to: list[MailAddress] = field(default_factory=list)
    to: list[MailAddress] = field(default_factory=list)
    cc: list[MailAddress] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    from_html: bool = False
    attachments: list[MailPart] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Attachments left out, each with why (too large, type not allowed, too many)."""
    automation: Automation | None = None
    bounce: Bounce | None = None
    defects: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    """A few headers worth keeping with the ticket (Auto-Submitted, Precedence, List-Id, ...)."""
    authentication_results: list[str] = field(default_factory=list)
    """Every Authentication-Results header, topmost first (hub.sdk.mailauth reads them)."""

    @property
    def thread_ids(self) -> list[str]:
        """Message ids this one answers, most direct first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    @property
    def recipients(self) -> list[MailAddress]:
        return [*self.to, *self.cc]
