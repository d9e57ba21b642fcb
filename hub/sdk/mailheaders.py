"""Headers read defensively: as sent, decoded (RFC 2047, any charset), addresses, message ids, subjects.

A header the parser cannot make sense of is decoded by hand; raw 8-bit bytes are read as
UTF-8, else Windows-1252; whatever comes out is text a database column takes (no NUL, no
lone surrogates).
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses
from typing import Any

from hub.sdk.mailtypes import MailAddress

__all__ = ["addresses_of", "clean_subject", "clean_text", "decode_bytes", "decode_words", "header_text",
           "message_ids", "raw_header", "raw_headers", "subject_refs", "unescape"]

SUBJECT_MAX = 1000
"""Characters of a subject kept (a ticket title is cut shorter still)."""
MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")
_REF_TAG = re.compile(r"\[\s*((?:INC|CHG)-\d{6,})\s*\]", re.IGNORECASE)
_PREFIXES = re.compile(r"^\s*((re|aw|sv|vs|antw|odp|fw|fwd|wg|tr|rv|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def raw_headers(message: Message) -> list[tuple[str, str]]:
    try:
        items = list(message.raw_items()) if hasattr(message, "raw_items") else \
            list(getattr(message, "_headers", []))
    except Exception:
        return []
    return [(str(name), _unfold(value)) for name, value in items]


def _unfold(value: Any) -> str:
    if not isinstance(value, str):
        value = str(value)
    return re.sub(r"\r?\n[ \t]*", " ", value).strip()


def raw_header(message: Message, name: str) -> str | None:
    """The first header ``name`` as sent (folded lines joined), never parsed."""
    lowered = name.lower()
    return next((value for key, value in raw_headers(message) if key.lower() == lowered), None)


def header_text(message: Message, name: str) -> str:
    """A header decoded to text (RFC 2047 words included); never raises."""
    raw = raw_header(message, name)
    if raw is None:
        return ""
    try:
        value = message[name]
        if value is not None:
            return clean_text(str(value))
    except Exception:  # noqa: S110 - decoded by hand below
        pass
    return clean_text(decode_words(raw))


def decode_words(raw: str) -> str:
    """RFC 2047 encoded words decoded by hand, each with the charset fallbacks of the body."""
    try:
        pieces = decode_header(raw)
    except Exception:
        return raw
    out = []
    for chunk, charset in pieces:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return "".join(out)


def clean_text(value: str) -> str:
    value = unescape(value)
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value).strip()


def unescape(value: str) -> str:
    """Raw 8-bit bytes in a header (kept by the parser as surrogates) read as UTF-8, else Windows-1252."""
    if not re.search("[\udc80-\udcff]", value):
        return value.encode("utf-8", "replace").decode("utf-8")
    data = value.encode("utf-8", "surrogateescape") if _only_escapes(value) else \
        value.encode("utf-8", "replace")
    return decode_bytes(data, "utf-8")


def _only_escapes(value: str) -> bool:
    return all(not 0xD800 <= ord(char) <= 0xDFFF or 0xDC80 <= ord(char) <= 0xDCFF for char in value)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in the declared charset, else UTF-8, else Windows-1252 with replacements."""
    name = (charset or "").strip().strip('"').lower() or "us-ascii"
    try:
        # Binary codecs (base64, zlib...) are registered too; only text encodings decode mail.
        if getattr(codecs.lookup(name), "_is_text_encoding", True):
            return data.decode(name)
    except Exception:  # noqa: S110 - unknown or wrong charset: the fallbacks below
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def addresses_of(message: Message, name: str) -> list[MailAddress]:
    found: list[MailAddress] = []
    try:
        header = message[name]
        addresses = getattr(header, "addresses", None)
        if header is not None and addresses is not None:
            for address in addresses:
                email = _email(address.addr_spec or "")
                if email:
                    found.append(MailAddress(clean_text(address.display_name or ""), email))
            if found:
                return found[:100]
    except Exception:  # noqa: S110 - parsed by hand below
        pass
    raw = raw_header(message, name)
    if not raw:
        return []
    try:
        pairs = getaddresses([decode_words(raw)])
    except Exception:
        return []
    return [MailAddress(clean_text(display), _email(email)) for display, email in pairs if _email(email)][:100]


def _email(value: str) -> str:
    """A usable address, lower-cased, or "" (no @, spaces, or bytes that are not text)."""
    email = clean_text(value).lower()
    if "@" not in email or "\ufffd" in email or re.search(r"\s", email) or len(email) > 254:
        return ""
    return email


def message_ids(value: str | None) -> list[str]:
    return list(dict.fromkeys(MESSAGE_ID.findall(value or "")))[:100]


# ------------------------------------------------------------------------------ subjects


def subject_refs(subject: str) -> list[str]:
    """Ticket references tagged in a subject (``[INC-000042]``), upper-cased."""
    return list(dict.fromkeys(match.upper() for match in _REF_TAG.findall(subject or "")))


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and ticket tags, for a title."""
    text = _REF_TAG.sub(" ", subject or "")
    previous = None
    while previous != text:
        previous = text
        text = _PREFIXES.sub("", text).strip()
    return re.sub(r"\s+", " ", text).strip()
