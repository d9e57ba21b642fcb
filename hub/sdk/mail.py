"""The one email library of every mail-like connector: read a message, write a reply.

    parsed = parse_message(raw_bytes)          # never raises, whatever the bytes
    parsed.sender, parsed.subject, parsed.text, parsed.attachments, parsed.automation

Reading uses the standard library's ``email`` package with ``policy.default``, but every
header and every part is read defensively (headers: hub.sdk.mailheaders): an unknown
charset falls back to UTF-8 and then Windows-1252, broken MIME is read as far as it goes
and named (hub.sdk.maildefects). What the message is (a person's mail, an auto-reply, a bulk
mail, a bounce per RFC 3464, a read receipt) is decided from its headers and structure,
following RFC 3834. Writing (hub.sdk.mailwrite) builds messages that thread (Message-ID,
In-Reply-To, References) and say they are automatic (``Auto-Submitted: auto-generated``).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from hub.sdk.maildefects import decode_base64, describe_defects, find_used_boundary, with_boundary
from hub.sdk.mailheaders import (
    SUBJECT_MAX,
    addresses_of,
    clean_subject,
    clean_text,
    decode_bytes,
    decode_words,
    header_text,
    message_ids,
    raw_header,
    raw_headers,
    subject_refs,
    unescape,
)
from hub.sdk.mailhtml import html_to_text, strip_quoted
from hub.sdk.mailtypes import Automation, Bounce, MailAddress, MailLimits, MailPart, ParsedMail
from hub.sdk.mailwrite import build_message, domain_of, make_message_id

# One import for connectors: reading here, the headers, types and writing from their modules.
__all__ = [
    "Automation", "Bounce", "MailAddress", "MailLimits", "MailPart", "ParsedMail", "build_message",
    "clean_subject", "decode_bytes", "decode_words", "domain_of", "header_text", "html_to_text",
    "make_message_id", "parse_message", "raw_header", "strip_quoted", "subject_refs",
]

TEXT_MAX = 100_000
MAX_PARTS = 500
MAX_DEPTH = 20
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_SUPPRESS_REPLIES = frozenset({"all", "oof", "autoreply"})
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery (status|failure|has failed)|returned mail|failure notice|"
                             r"unzustellbar|non remis", re.IGNORECASE)
_BLOCKED_EXTENSIONS = (".exe", ".bat", ".cmd", ".com", ".scr", ".pif", ".vbs", ".vbe", ".js", ".jse", ".wsf",
                       ".msi", ".ps1", ".hta", ".jar", ".lnk", ".cpl", ".reg")


# ------------------------------------------------------------------------------ reading


def parse_message(raw: bytes, limits: MailLimits | None = None) -> ParsedMail:
    """Read a message; whatever the bytes, returns a ParsedMail (problems land in ``defects``)."""
    limits = limits or MailLimits()
    parsed = ParsedMail()
    try:
        message = _parse_repairing_boundary(bytes(raw), parsed)
    except Exception as exc:  # the parser is lenient; this is a last resort
        parsed.defects.append(f"unreadable message: {type(exc).__name__}")
        return parsed
    for step in (_read_headers, _read_body, _classify):
        try:
            step(message, parsed, limits)
        except Exception as exc:  # one bad corner never hides the rest
            parsed.defects.append(f"{step.__name__.strip('_').replace('_', ' ')} failed: {type(exc).__name__}")
    return parsed


def _parse_repairing_boundary(raw: bytes, parsed: ParsedMail) -> Message:
    """The message; one whose body uses another boundary than it declares is read with the
    one it uses (a gateway or client rewrote one of the two), and that is noted."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    used = find_used_boundary(raw, message)
    if used is None:
        return message
    repaired = BytesParser(policy=policy.default).parsebytes(with_boundary(raw, used))
    if not repaired.is_multipart():
        return message
    parsed.defects.append(f"the body does not use the boundary its Content-Type declares "
                          f"({clean_text(str(message.get_boundary() or ''))[:80]!r}); read with the one it uses "
                          f"({used[:80]!r})")
    return repaired


def _read_headers(message: Message, parsed: ParsedMail, limits: MailLimits) -> None:
    ids = message_ids(raw_header(message, "Message-ID"))
    parsed.message_id = ids[0] if ids else None
    parsed.in_reply_to = message_ids(raw_header(message, "In-Reply-To"))
    parsed.references = message_ids(raw_header(message, "References"))
    parsed.subject = header_text(message, "Subject")[:SUBJECT_MAX]
    senders = addresses_of(message, "From")
    parsed.sender = senders[0] if senders else None
    parsed.reply_to = addresses_of(message, "Reply-To")
    parsed.to = addresses_of(message, "To")
    parsed.cc = addresses_of(message, "Cc")
    try:
        parsed.date = parsedate_to_datetime(raw_header(message, "Date") or "")
    except Exception:
        parsed.date = None
    for name in ("Auto-Submitted", "Precedence", "X-Auto-Response-Suppress", "List-Id", "Return-Path",
                 "X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        value = raw_header(message, name)
        if value is not None:
            parsed.headers[name] = clean_text(value)[:500]
    parsed.authentication_results = [clean_text(value)[:2000] for name, value in raw_headers(message)
                                     if name.lower() == "authentication-results"][:20]
    parsed.defects.extend(describe_defects(message))
    parsed.defects = parsed.defects[:50]


def _read_body(message: Message, parsed: ParsedMail, limits: MailLimits) -> None:
    plain: list[str] = []
    html: list[str] = []
    state = {"parts": 0, "total": 0}
    _walk(message, parsed, limits, plain, html, state, depth=0, alternative=False)
    if any(text.strip() for text in plain):
        parsed.text = "\n\n".join(text.strip() for text in plain if text.strip())
    elif html:
        parsed.text = "\n\n".join(html_to_text(text) for text in html).strip()
        parsed.from_html = True
    parsed.text = _clean_body(parsed.text)[:TEXT_MAX]


def _clean_body(text: str) -> str:
    text = unescape(text.replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text).strip()


def _walk(part: Message, parsed: ParsedMail, limits: MailLimits, plain: list[str], html: list[str],
          state: dict[str, int], *, depth: int, alternative: bool) -> None:
    state["parts"] += 1
    if state["parts"] > MAX_PARTS or depth > MAX_DEPTH:
        if "too many parts" not in parsed.defects:
            parsed.defects.append("too many parts")
        return
    ctype = _content_type(part)
    if ctype in ("message/delivery-status", "text/rfc822-headers"):
        return  # read with the report
    if ctype.startswith("message/"):
        if not parsed.bounce:  # a forwarded message is a file, not more body text
            _keep_attachment(part, parsed, limits, state, ctype, _filename(part), _disposition(part))
        return
    if ctype.startswith("multipart/") and not part.is_multipart():
        plain.append(_text_of(part, parsed))  # its parts could not be told apart: the body is its text
        return
    if part.is_multipart():
        children = part.get_payload()
        if ctype == "multipart/report":
            _read_report(part, parsed)
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Message):
                _walk(child, parsed, limits, plain, html, state, depth=depth + 1,
                      alternative=ctype == "multipart/alternative")
        return
    disposition = _disposition(part)
    filename = _filename(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _text_of(part, parsed)
        (plain if ctype == "text/plain" else html).append(text)
        return
    _keep_attachment(part, parsed, limits, state, ctype, filename, disposition)


def _content_type(part: Message) -> str:
    try:
        return clean_text(str(part.get_content_type()).lower())[:100]
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return clean_text(decode_words(name))[:255] if name else None


def _payload_bytes(part: Message, parsed: ParsedMail, name: str | None = None) -> bytes:
    """The part's content, transfer-decoded; broken base64 is decoded as far as it goes
    (or kept as sent) and noted with the part's name."""
    encoding = (raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    try:
        payload = part.get_payload(decode=False)
        if isinstance(payload, list):
            return b"".join(item.as_bytes(policy=policy.default) for item in payload if isinstance(item, Message))
        if encoding == "base64" and isinstance(payload, str):
            decoded, problem = decode_base64(payload)
            if problem:
                parsed.defects.append(f"broken base64 in {name or 'a part'}: {problem}")
            return decoded if decoded is not None else payload.encode("ascii", "replace")
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else str(payload or "").encode("utf-8", "replace")
    except Exception as exc:
        parsed.defects.append(f"unreadable part: {type(exc).__name__}")
        return b""


def _text_of(part: Message, parsed: ParsedMail) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    data = _payload_bytes(part, parsed, "the text")
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            parsed.defects.append(f"unknown charset {clean_text(charset[:40])}")
        else:
            _note_wrong_charset(data, charset, parsed)
    return decode_bytes(data, charset)


def _note_wrong_charset(data: bytes, charset: str, parsed: ParsedMail) -> None:
    """Text whose bytes are not valid in the charset it declares is read by the fallbacks: say so."""
    try:
        data.decode(charset)
        return
    except Exception:  # noqa: S110 - not valid in it, or a codec not for text (charset=base64)
        pass
    try:
        data.decode("utf-8")
        fallback = "UTF-8"
    except UnicodeDecodeError:
        fallback = "Windows-1252"
    note = f"text that is not {clean_text(charset[:40])} as declared; read as {fallback}"
    if note not in parsed.defects:
        parsed.defects.append(note)


def _keep_attachment(part: Message, parsed: ParsedMail, limits: MailLimits, state: dict[str, int], ctype: str,
                     filename: str | None, disposition: str | None) -> None:
    inline = disposition == "inline" or (disposition is None and ctype.startswith("image/")
                                         and raw_header(part, "Content-ID") is not None)
    if inline and ctype.startswith("image/") and not limits.keep_inline_images:
        return
    extension = {"message/rfc822": ".eml", "text/calendar": ".ics"}.get(ctype, "")
    name = filename or f"part-{state['parts']}{extension}"
    data = _payload_bytes(part, parsed, name)
    refusal = _refusal(limits, name, ctype, len(data), state, len(parsed.attachments))
    if refusal:
        parsed.refused.append(f"{name}: {refusal}")
        return
    state["total"] += len(data)
    content_ids = message_ids(raw_header(part, "Content-ID"))
    parsed.attachments.append(MailPart(filename=name, content_type=ctype, data=data,
                                       sha256=hashlib.sha256(data).hexdigest(), inline=inline,
                                       content_id=content_ids[0].strip("<>") if content_ids else None))


def _refusal(limits: MailLimits, name: str, ctype: str, size: int, state: dict[str, int], count: int) -> str | None:
    if count >= limits.max_attachments:
        return f"more than {limits.max_attachments} attachments"
    if size > limits.max_attachment_bytes:
        return f"{size} bytes, over the limit of {limits.max_attachment_bytes}"
    if state["total"] + size > limits.max_total_bytes:
        return f"the attachments together are over {limits.max_total_bytes} bytes"
    if name.lower().endswith(_BLOCKED_EXTENSIONS):
        return "a program or script; not kept"
    if limits.allowed_types and not any(ctype == allowed or (allowed.endswith("/*") and
                                                              ctype.startswith(allowed[:-1]))
                                        for allowed in limits.allowed_types):
        return f"type {ctype} is not allowed"
    return None


def _read_report(report: Message, parsed: ParsedMail) -> None:
    """A multipart/report (RFC 6522): a delivery status (RFC 3464) or a read receipt."""
    try:
        kind = str(report.get_param("report-type") or "").lower()
    except Exception:
        kind = ""
    if kind == "disposition-notification":
        parsed.automation = Automation("receipt", "A read receipt (RFC 8098 disposition notification).")
        return
    bounce = parsed.bounce or Bounce()
    payload = report.get_payload()
    children = [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []
    for child in children:
        ctype = _content_type(child)
        child_payload = child.get_payload()
        if ctype == "message/delivery-status":
            _read_status(child, bounce)
        elif ctype in ("message/rfc822", "message/global") and isinstance(child_payload, list):
            inner = child_payload[0] if child_payload else None
            if isinstance(inner, Message) and not bounce.original_message_id:
                ids = message_ids(raw_header(inner, "Message-ID"))
                bounce.original_message_id = ids[0] if ids else None
        elif ctype == "text/rfc822-headers" and not bounce.original_message_id:
            found = re.search(r"(?im)^message-id:\s*(<[^<>\s]+>)", decode_bytes(_payload_bytes(child, parsed), None))
            bounce.original_message_id = found.group(1) if found else None
    if kind == "delivery-status" or bounce.recipients or bounce.status:
        parsed.bounce = bounce


def _read_status(part: Message, bounce: Bounce) -> None:
    blocks = part.get_payload()
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        recipient = raw_header(block, "Final-Recipient") or raw_header(block, "Original-Recipient")
        if recipient:
            address = recipient.split(";", 1)[-1].strip()
            if address and address.lower() not in bounce.recipients:
                bounce.recipients.append(clean_text(address.lower()[:200]))
        bounce.action = bounce.action or clean_text(raw_header(block, "Action") or "")[:50] or None
        bounce.status = bounce.status or clean_text(raw_header(block, "Status") or "")[:20] or None
        diagnostic = raw_header(block, "Diagnostic-Code")
        if diagnostic and not bounce.diagnostic:
            bounce.diagnostic = clean_text(diagnostic.split(";", 1)[-1])[:500]


def _classify(message: Message, parsed: ParsedMail, limits: MailLimits) -> None:
    """Is this a person's mail, or something automatic that must never get an automatic answer?"""
    headers = {name.lower(): value.strip() for name, value in parsed.headers.items()}
    sender = parsed.sender.email if parsed.sender else ""
    local = sender.split("@", 1)[0]
    if parsed.bounce is None and (local in _BOUNCE_SENDERS or headers.get("return-path") == "<>") \
            and _BOUNCE_SUBJECT.search(parsed.subject):
        parsed.bounce = Bounce()
        found = re.search(r"(?im)^\s*message-id:\s*(<[^<>\s]+>)", parsed.text)
        parsed.bounce.original_message_id = found.group(1) if found else None
    if parsed.bounce is not None:
        if not parsed.bounce.original_message_id and parsed.thread_ids:
            parsed.bounce.original_message_id = parsed.thread_ids[0]
        parsed.automation = Automation("bounce", "A delivery failure report (bounce).")
        return
    if parsed.automation is not None:
        return
    auto = headers.get("auto-submitted", "").split(";", 1)[0].strip().lower()
    precedence = headers.get("precedence", "").lower()
    suppress = {word.strip().lower() for word in headers.get("x-auto-response-suppress", "").split(",")}
    if auto and auto != "no":
        parsed.automation = Automation("auto-reply", f"Auto-Submitted: {auto} (RFC 3834).")
    elif precedence in _BULK_PRECEDENCE:
        kind = "auto-reply" if precedence.startswith("auto") else "bulk"
        parsed.automation = Automation(kind, f"Precedence: {precedence}.")
    elif any(name in headers for name in ("x-autoreply", "x-autorespond", "x-auto-reply")):
        parsed.automation = Automation("auto-reply", "Marked as an automatic reply (X-Autoreply).")
    elif suppress & _SUPPRESS_REPLIES:
        parsed.automation = Automation("no-auto-reply", "X-Auto-Response-Suppress asks for no automatic "
                                       "replies (set by Exchange on out-of-office and system mail).")
    elif "list-id" in headers:
        parsed.automation = Automation("bulk", f"Mailing list mail (List-Id {headers['list-id'][:100]}).")
    elif local in _BOUNCE_SENDERS:
        parsed.automation = Automation("auto-reply", f"Sent by {local}, a mail system account.")
