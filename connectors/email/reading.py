"""What a stored mail means for the tracker: a new ticket, a reply, a bounce, or nothing.

The order of the checks is the order of the harm they prevent: mail from the hub itself
and automatic mail (RFC 3834 auto-replies, bulk and list mail, RFC 3464 bounces) never
open a ticket, so two robots can never answer each other forever. A bounce becomes an
internal note on the ticket whose mail bounced. Everything else is a person writing: a
reply when it names a thread the hub knows (In-Reply-To, References) or, from a known
participant, a ticket tag in the subject; otherwise a new ticket. A reply whose sender the
receiving server could not prove (Authentication-Results, hub.sdk.mailauth) is held for an
agent's review rather than speak for the requester.
"""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

from connectors.email.config import own_addresses
from hub.sdk import Attachment, EventInfo, SkippableError, TicketDraft
from hub.sdk.mail import (
    MailLimits,
    ParsedMail,
    clean_subject,
    header_text,
    parse_message,
    raw_header,
    strip_quoted,
    subject_refs,
)
from hub.sdk.mailauth import SenderVerdict, sender_verdict

DEFECTS_SHOWN = 5
_PRINTABLE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,240}>")


def limits_of(config: dict[str, Any]) -> MailLimits:
    return MailLimits(max_attachment_bytes=int(config.get("max_attachment_bytes") or 10 * 2**20),
                      allowed_types=tuple(config.get("attachment_types") or ()))


def event_key(raw: bytes) -> tuple[str, dict[str, str]]:
    """The idempotency key of a fetched message (its Message-ID) and a summary for the event list."""
    import hashlib

    try:
        headers = BytesParser(policy=default_policy).parsebytes(raw, headersonly=True)
        message_id = (raw_header(headers, "Message-ID") or "").strip()
        # Decoded and cleaned: raw 8-bit headers carry surrogates no database takes as text.
        summary = {name.lower(): header_text(headers, name)[:200] for name in ("From", "Subject", "Date")}
    except Exception:  # the key must exist whatever the bytes; the reading reports the problem
        message_id, summary = "", {}
    if _PRINTABLE_ID.fullmatch(message_id):
        return f"mid:{message_id}", summary
    return "sha256:" + hashlib.sha256(raw).hexdigest(), summary


def read_mail(event: EventInfo, config: dict[str, Any]) -> TicketDraft:
    """The draft for one stored message; SkippableError quarantines a message that cannot be used."""
    if event.meta.get("whole") is False:
        raise SkippableError(f"The message is {event.meta.get('size')} bytes, over this mailbox's limit of "
                             f"{config.get('max_message_bytes')}; only its header was fetched.")
    mail = parse_message(event.body or b"", limits_of(config))
    if mail.sender is None:
        raise SkippableError("Malformed message: no usable sender address (From)." + _defects(mail))
    extra = _extra(event, mail)
    if mail.sender.email in own_addresses(config):
        return TicketDraft(action="ignore", reason=f"Sent from the hub's own address {mail.sender.email}; "
                           "never answered, so the hub cannot talk to itself.", extra=extra)
    if mail.bounce is not None:
        return _bounce(mail, extra)
    if mail.automation is not None:
        return TicketDraft(action="ignore", extra=extra, reason=f"Automatic mail ({mail.automation.kind}): "
                           f"{mail.automation.reason} No ticket and no answer, so mail robots cannot loop.")
    if not mail.text and not mail.subject and not mail.attachments:
        raise SkippableError("Empty message: no subject, no text, no attachment." + _defects(mail))
    return _person(mail, config, extra)


def _person(mail: ParsedMail, config: dict[str, Any], extra: dict[str, Any]) -> TicketDraft:
    assert mail.sender is not None
    refs = subject_refs(mail.subject)
    text = mail.text or "(The message has no text.)"
    title = clean_subject(mail.subject) or _first_line(mail.text) or "(no subject)"
    reply = strip_quoted(mail.text) if mail.text else text
    if mail.refused:
        note = "\n".join(f"- {item}" for item in mail.refused)
        text += f"\n\n[Attachments left out:\n{note}]"
        reply += f"\n\n[Attachments left out:\n{note}]"
    check = _sender_check(mail, config)
    extra["mail"]["authentication"] = {"result": check.result, "note": check.note}
    return TicketDraft(
        action="open", kind=config.get("kind") or "incident", title=title, description=text,
        sender_check=check.result, sender_check_note=check.note,
        requester_name=mail.sender.name or None, requester_email=mail.sender.email,
        ticket_ref=refs[0] if refs else None, require_participant=True, thread_ids=mail.thread_ids,
        thread_key=mail.message_id, reopen_on_repeat=bool(config.get("reopen_on_reply", True)),
        comment=reply, comment_visibility="public", occurred_at=mail.date, extra=extra, reason=_broken_mime(mail),
        attachments=[Attachment(filename=part.filename, content_type=part.content_type, data=part.data,
                                inline=part.inline, content_id=part.content_id) for part in mail.attachments],
    )


def _sender_check(mail: ParsedMail, config: dict[str, Any]) -> SenderVerdict:
    """Is the From address proven by the receiving server (D18: forged replies)?"""
    assert mail.sender is not None
    return sender_verdict(mail.authentication_results, mail.sender.email.rsplit("@", 1)[-1],
                          config.get("trusted_authserv_ids") or ())


def _bounce(mail: ParsedMail, extra: dict[str, Any]) -> TicketDraft:
    bounce = mail.bounce
    assert bounce is not None
    if not bounce.original_message_id:
        return TicketDraft(action="ignore", extra=extra, reason="A bounce that does not say which message "
                           "bounced (no original Message-ID in it); there is no ticket to note it on.")
    note = f"Mail from the hub bounced. {bounce.summary()}"
    if mail.text:
        note += "\n\n" + mail.text[:4000]
    # A comment that names no ticket and has no title cannot open one: an unknown
    # original message leaves the bounce quarantined, never a new ticket.
    return TicketDraft(action="comment", title="", thread_ids=[bounce.original_message_id], comment=note,
                       comment_visibility="internal", reopen_on_repeat=False, extra=extra)


def _extra(event: EventInfo, mail: ParsedMail) -> dict[str, Any]:
    return {"mail": {"message_id": mail.message_id, "uid": event.meta.get("uid"), "folder": event.meta.get("folder"),
                     "from": mail.sender.email if mail.sender else None, "to": [a.email for a in mail.to][:20],
                     "cc": [a.email for a in mail.cc][:20], "headers": mail.headers,
                     "automation": mail.automation.kind if mail.automation else None,
                     "defects": mail.defects[:20], "html": mail.from_html}}


def _first_line(text: str) -> str:
    return next((line.strip()[:200] for line in text.splitlines() if line.strip()), "")


def _broken_mime(mail: ParsedMail) -> str | None:
    """For the event's reason (the event list, the ticket's timeline): what the reading had
    to work around, so an agent knows to compare with the original."""
    if not mail.defects:
        return None
    return "Broken MIME, read as far as possible:" + _defects(mail).removeprefix(" Problems found:")


def _defects(mail: ParsedMail) -> str:
    if not mail.defects:
        return ""
    shown = "; ".join(mail.defects[:DEFECTS_SHOWN])
    more = f" (and {len(mail.defects) - DEFECTS_SHOWN} more)" if len(mail.defects) > DEFECTS_SHOWN else ""
    return f" Problems found: {shown}{more}."
