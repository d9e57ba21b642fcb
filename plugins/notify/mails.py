"""What the requester is told, in the hub's default words and the ticket's language (the one
the requester wrote in, else HUB_DEFAULT_LANGUAGE); an instance's templates may reword it.

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
from hub.sdk.i18n import gettext, in_language, lazy_gettext
from hub.sdk.values import TicketInfo

#: What happened to "your request", completing "Your request INC-000042 …".
PLAIN_STATUS = {
    "acknowledged": lazy_gettext("has been seen by the team"), "in_progress": lazy_gettext("is being worked on"),
    "on_hold": lazy_gettext("is on hold"), "resolved": lazy_gettext("has been resolved"),
    "closed": lazy_gettext("is closed"), "cancelled": lazy_gettext("has been cancelled"),
    "new": lazy_gettext("has been received"),
}


def _greeting(ticket: TicketInfo) -> str:
    return gettext("Hello %(name)s,", name=ticket.requester_name) if ticket.requester_name else gettext("Hello,")


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


# Each mail is written in the ticket's language, whatever the page or job that causes it speaks.


def acknowledgement(ticket: TicketInfo, status_url: str) -> tuple[str, str]:
    with in_language(ticket.language):
        body = (f"{_greeting(ticket)}\n\n"
                + gettext("We have received your request and logged it as %(ref)s:", ref=ticket.ref)
                + f"\n  {ticket.title}\n\n" + gettext("You can follow it here, no account needed:")
                + f"\n{status_url}\n\n"
                + gettext("To add something, reply to this mail and keep [%(ref)s] in the subject.", ref=ticket.ref)
                + "\n")
        return gettext("Received: %(title)s", title=ticket.title), body


def comment(ticket: TicketInfo, text: str, author: str, status_url: str) -> tuple[str, str]:
    with in_language(ticket.language):
        body = (f"{_greeting(ticket)}\n\n" + gettext("%(author)s wrote on %(ref)s:", author=author, ref=ticket.ref)
                + f"\n\n{text}\n\n" + gettext("Follow your request: %(url)s", url=status_url) + "\n"
                + gettext("Reply to this mail to answer.") + "\n")
        return gettext("Update: %(title)s", title=ticket.title), body


def status(ticket: TicketInfo, new: str, status_url: str) -> tuple[str, str]:
    with in_language(ticket.language):
        plain = str(PLAIN_STATUS[new]) if new in PLAIN_STATUS else \
            gettext("is now %(status)s", status=new.replace("_", " "))
        body = (f"{_greeting(ticket)}\n\n" + gettext("Your request %(ref)s %(what)s.", ref=ticket.ref, what=plain)
                + "\n\n" + gettext("Follow it here: %(url)s", url=status_url) + "\n")
        return gettext("%(title)s: %(what)s", title=ticket.title, what=plain), body


def resolution(ticket: TicketInfo, note: str, status_url: str,
               rating_links: list[tuple[int, str]] | None = None) -> tuple[str, str]:
    with in_language(ticket.language):
        rating = ""
        if rating_links:
            # One signed link per score: a click opens a page where one press records it.
            rating = (gettext("How satisfied are you? Choose 1 (not at all) to 5 (very):") + "\n"
                      + "".join(f"  {score}: {url}\n" for score, url in rating_links) + "\n")
        body = (f"{_greeting(ticket)}\n\n" + gettext("Your request %(ref)s has been resolved.", ref=ticket.ref) + "\n"
                + (f"\n{note}\n" if note else "") + "\n" + rating
                + gettext("Please confirm it is solved for you, or tell us it is not, and rate how we handled it:")
                + f"\n{status_url}\n\n" + gettext("If the problem is back, simply reply to this mail.") + "\n")
        return gettext("Resolved: %(title)s", title=ticket.title), body
