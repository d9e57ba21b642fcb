"""What the requester is told, in the hub's default words; an instance's templates may reword it.

Each mail gets a Message-ID chosen here and, once the mail is queued, remembered as the
ticket's thread key in the same transaction, so the requester's reply threads onto the
ticket by its In-Reply-To, and References naming the ticket's earlier mail, so their mail
client threads it too. A mail no instance could take is not remembered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.sdk import hub_services
from hub.sdk import tracker as services
from hub.sdk.values import TicketInfo

PLAIN_STATUS = {
    "acknowledged": "has been seen by the team", "in_progress": "is being worked on",
    "on_hold": "is on hold", "resolved": "has been resolved", "closed": "is closed",
    "cancelled": "has been cancelled", "new": "has been received",
}


def _greeting(ticket: TicketInfo) -> str:
    return f"Hello {ticket.requester_name}," if ticket.requester_name else "Hello,"


def queue(session: Session, ticket: TicketInfo, *, kind: str, key: str, subject: str, body: str,
          context: dict[str, Any], instance: str | None) -> bool:
    """Queue one mail to the requester, threaded onto the ticket's earlier mail; False when
    no instance can send it."""
    assert ticket.requester_email
    references = services.thread_keys(session, ticket.ref, limit=20)
    # Keyed with the hub's secret (by the core, which holds it), so an outsider who knows a
    # ticket's reference cannot compute its mail's Message-ID and thread a forged reply on.
    message_id = hub_services.mail_message_id(session, key)
    full = {"ref": ticket.ref, "title": ticket.title, "status": ticket.status,
            "requester_name": ticket.requester_name or "", "requester_email": ticket.requester_email,
            "message_id": message_id, "references": references, **context}
    queued = services.send_mail(session, to=[ticket.requester_email], subject=f"[{ticket.ref}] {subject}",
                                body=body, ref=ticket.ref, template=kind, context=full, instance=instance, key=key)
    if queued:
        # Only a mail on its way is a thread: a later mail naming one never sent would
        # answer something the requester never received.
        services.remember_thread_key(session, ticket.ref, message_id)
    return queued


def acknowledgement(ticket: TicketInfo, status_url: str) -> tuple[str, str]:
    body = (f"{_greeting(ticket)}\n\nWe have received your request and logged it as {ticket.ref}:\n"
            f"  {ticket.title}\n\nYou can follow it here, no account needed:\n{status_url}\n\n"
            f"To add something, reply to this mail and keep [{ticket.ref}] in the subject.\n")
    return f"Received: {ticket.title}", body


def comment(ticket: TicketInfo, text: str, author: str, status_url: str) -> tuple[str, str]:
    body = (f"{_greeting(ticket)}\n\n{author} wrote on {ticket.ref}:\n\n{text}\n\n"
            f"Follow your request: {status_url}\nReply to this mail to answer.\n")
    return f"Update: {ticket.title}", body


def status(ticket: TicketInfo, new: str, status_url: str) -> tuple[str, str]:
    plain = PLAIN_STATUS.get(new, f"is now {new.replace('_', ' ')}")
    body = f"{_greeting(ticket)}\n\nYour request {ticket.ref} {plain}.\n\nFollow it here: {status_url}\n"
    return f"{ticket.title}: {plain}", body


def resolution(ticket: TicketInfo, note: str, status_url: str) -> tuple[str, str]:
    body = (f"{_greeting(ticket)}\n\nYour request {ticket.ref} has been resolved.\n"
            + (f"\n{note}\n" if note else "")
            + f"\nPlease confirm it is solved for you, or tell us it is not, and rate how we handled it:\n"
            f"{status_url}\n\nIf the problem is back, simply reply to this mail.\n")
    return f"Resolved: {ticket.title}", body
