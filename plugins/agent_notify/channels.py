"""Delivering a notice to the people it concerns: the list in the hub, mail (at once or in a
digest), the team webhooks, and whatever channels other plugins add (``agent_notified``).

Everything happens in the transaction of the change that caused it: the rows and the
outbox messages commit with it, or not at all.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from hub.sdk import hub_services
from hub.sdk import tracker as services
from hub.sdk.actors import Actor
from hub.sdk.values import PersonInfo, TicketInfo
from plugins.agent_notify.choices import NAME, Catalog, catalog, chosen_channels, email_mode
from plugins.agent_notify.events import AGENT_ROLES, Notice, by_precedence

SUBJECT_MAX = 150


def is_actor(person: PersonInfo, actor: Actor | None) -> bool:
    """Whether ``person`` caused the change: nobody is told of their own doing."""
    if actor is None:
        return False
    if actor.user_id is not None:
        return actor.user_id == person.id
    return actor.type in ("user", "requester") and actor.name == person.username


def recipients(session: Session, ticket: TicketInfo, event: str, usernames: list[str],
               actor: Actor | None) -> list[PersonInfo]:
    """The active agents and admins to tell: those named, those other plugins add, not the actor."""
    names = list(usernames)
    for answer in services.emit(session, "agent_notification_recipients", ticket.ref, event=event):
        names += [str(name) for name in answer or [] if isinstance(name, str)]
    if not names:
        return []
    return [person for person in hub_services.people(session, usernames=names, roles=AGENT_ROLES)
            if not is_actor(person, actor)]


def deliver(session: Session, ticket: TicketInfo, notices: list[Notice], actor: Actor | None, key: str) -> None:
    """Tell each notice's people by the channels they chose, each person once (by the notice
    that matters most to them). ``key`` names the change, so a repeat of it (a retried job)
    queues no second mail or post. Costs no query when nobody is concerned."""
    told: set[str] = set()
    found: Catalog | None = None
    settings: dict[str, Any] = {}
    for event, usernames, text in by_precedence(notices):
        people = [person for person in recipients(session, ticket, event, usernames, actor)
                  if person.username not in told]
        if not people:
            continue
        told.update(person.username for person in people)
        if found is None:
            found, settings = catalog(session), services.plugin_settings(session, NAME)
        channels = {person.username: chosen_channels(person, found, event) for person in people}
        for person in people:
            _tell(session, ticket, person, event, text, channels[person.username], actor, key, settings, found)
        _post(session, ticket, event, text, [person for person in people if "webhook" in channels[person.username]],
              actor, key, settings, found)
        services.emit(session, "agent_notified", ticket.ref, event=event, text=text, channels=channels, actor=actor)


def outbox_key(*parts: str) -> str:
    """An idempotency key for the outbox (at most 100 characters): readable when short, a
    digest of the parts when long usernames or slugs would make it longer."""
    key = ":".join((NAME, *parts))
    return key if len(key) <= 100 else f"{NAME}:{hashlib.sha256(key.encode()).hexdigest()}"


def _tell(session: Session, ticket: TicketInfo, person: PersonInfo, event: str, text: str, chosen: list[str],
          actor: Actor | None, key: str, settings: dict[str, Any], found: Catalog) -> None:
    mail = "email" in chosen and bool(person.email)
    digest = mail and email_mode(person) == "hourly"
    if "ui" in chosen or digest:
        hub_services.notify_user(session, person.username, kind=event, text=text, ref=ticket.ref,
                                 actor=actor.name if actor is not None else "", listed="ui" in chosen, digest=digest)
    if mail and not digest:
        assert person.email
        send(session, person, subject=text, body=mail_body(session, person, text, ticket.ref, found.label(event)),
             key=outbox_key(key, event, person.username), instance=settings["instance"])


def mail_body(session: Session, person: PersonInfo, text: str, ref: str | None, label: str) -> str:
    greeting = f"Hello {person.display_name or person.username},"
    link = f"\nOpen it: {hub_services.page_url(session, f'/tickets/{ref}')}\n" if ref else ""
    return (f"{greeting}\n\n{text}\n{link}\n-- \nYou get this mail because you chose mail for \"{label}\". "
            f"Change what you get: {hub_services.page_url(session, '/notifications/settings')}\n"
            "This mail is sent automatically: answer on the ticket's page, not by replying.\n")


def send(session: Session, person: PersonInfo, *, subject: str, body: str, key: str, instance: str | None) -> bool:
    # No ticket reference on the mail on purpose: a reply to it must not land on the ticket
    # as if the requester had written it (the mail connector threads replies by that tag).
    assert person.email
    short = subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…"
    return services.send_mail(session, to=[person.email], subject=short, body=body, template="agent_notification",
                              context={"username": person.username}, instance=instance, key=key)


def _post(session: Session, ticket: TicketInfo, event: str, text: str, people: list[PersonInfo], actor: Actor | None,
          key: str, settings: dict[str, Any], found: Catalog) -> None:
    """One signed post per matching team webhook, naming the people who chose it."""
    if not people:
        return
    payload = {"notification": {
        "event": event, "label": found.label(event), "text": text, "actor": actor.name if actor is not None else "",
        "url": hub_services.page_url(session, f"/tickets/{ticket.ref}"), "group": ticket.group,
        "recipients": [{"username": person.username, "display_name": person.display_name, "email": person.email}
                       for person in people]}}
    for number, route in enumerate(settings["webhooks"]):
        if route["groups"] and ticket.group not in route["groups"]:
            continue
        if route["events"] and event not in route["events"]:
            continue
        hub_services.push(session, route["instance"], action="notification", payload=payload, ref=ticket.ref,
                          key=outbox_key(key, event, f"webhook{number}", route["instance"]))
