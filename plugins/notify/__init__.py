"""Requester notifications: acknowledgement, updates and resolution mails.

Mail goes only to a ticket's requester email, through the outbox (hub.sdk.tracker
.send_mail), in the transaction of the change that caused it, and only when the hub
speaks to the requester: a synced system that owns the conversation (RT, ServiceNow,
Jira; their ``requester_conversation``) mails them itself. Nothing is sent for what
the requester did themselves (their own reply, their own confirmation), and
acknowledgements to one address are rate-limited, so an auto-responder without proper
headers cannot start a mail loop.
"""

from __future__ import annotations

import logging
from typing import Any

from marshmallow import fields, validate

from hub.hookspecs import hookimpl
from hub.sdk import ConfigSchema
from hub.sdk.i18n import gettext, in_language

log = logging.getLogger("hub.plugins.notify")

NAME = "notify"
STATES = ("acknowledged", "in_progress", "on_hold", "resolved", "closed", "cancelled", "scheduled", "implementing",
          "review", "approved", "rejected", "failed", "backed_out", "submitted", "assessment", "draft", "new")


class NotifySettings(ConfigSchema):
    acknowledge = fields.Boolean(load_default=True, metadata={
        "title": "Acknowledge", "description": "Mail the requester the reference and status link when a ticket "
        "is opened."})
    comments = fields.Boolean(load_default=True, metadata={
        "title": "Public comments", "description": "Mail the requester each public comment (not their own)."})
    status_changes = fields.List(fields.String(validate=validate.OneOf(STATES)), load_default=lambda: [
        "on_hold", "in_progress", "closed", "cancelled"], metadata={
        "title": "Status changes", "description": "States the requester is told about ('resolved' has its own "
        "mail below)."})
    resolution = fields.Boolean(load_default=True, metadata={
        "title": "Resolution mail", "description": "Mail the requester on resolution with the link where they "
        "confirm and rate."})
    rating_links = fields.Boolean(load_default=True, metadata={
        "title": "One-click rating", "description": "Put five signed links in the resolution mail, one per "
        "score (1-5); a click opens a page where one press records it (HUB_SURVEY_LINK_DAYS)."})
    ack_limit = fields.Integer(load_default=5, validate=validate.Range(1, 1000), metadata={
        "title": "Acknowledgements per address", "description": "At most this many acknowledgements to one "
        "address per window; more would be a loop or a flood."})
    ack_window_minutes = fields.Integer(load_default=60, validate=validate.Range(1, 10_080), metadata={
        "title": "Acknowledgement window (min)", "description": "The window of the limit above."})
    instance = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Mail instance", "description": "Send through this connector instance; empty: the one the "
        "ticket came in through if it sends mail, else the first that does."})


@hookimpl
def declare_settings() -> type[ConfigSchema]:
    return NotifySettings


def _settings(session: Any) -> dict[str, Any]:
    from hub.sdk import tracker as services

    return services.plugin_settings(session, NAME)


def _by_requester(ticket: Any, actor: Any) -> bool:
    """The change is the requester's own (their mail reply, their click on the status page)."""
    if actor.type == "requester":
        return True
    email = (ticket.requester_email or "").lower()
    return bool(email) and (actor.id or "").lower() == email


def _remote_speaks(session: Any, ticket: Any) -> bool:
    """A synced system (RT, ServiceNow, Jira) speaks to this requester: the hub keeps quiet,
    or they would hear everything twice (hub.sdk.sync, ``requester_conversation``)."""
    from hub.sdk import tracker as services

    remote = services.speaking_remote(session, ticket.ref)
    if remote:
        log.info("no mail to the requester of %s: %s speaks to them", ticket.ref, remote)
    return remote is not None


@hookimpl
def ticket_created(ticket: Any, actor: Any, session: Any) -> None:
    """Acknowledge at once: the reference and the private status link."""
    from hub.sdk import tracker as services
    from plugins.notify import mails

    settings = _settings(session)
    if not ticket.requester_email or not settings["acknowledge"] or _remote_speaks(session, ticket):
        return
    address = ticket.requester_email.lower()
    if not services.rate_limit_hit(session, f"notify:ack:{address}", limit=settings["ack_limit"],
                                   window_seconds=settings["ack_window_minutes"] * 60):
        log.warning("no acknowledgement of %s to %s: over %s in %s minutes", ticket.ref, address,
                    settings["ack_limit"], settings["ack_window_minutes"])
        return
    url = services.status_url(session, ticket.ref)
    subject, body = mails.acknowledgement(ticket, url)
    mails.queue(session, ticket, kind="acknowledgement", key=f"notify:{ticket.ref}:ack", subject=subject, body=body,
                context={"status_url": url}, instance=settings["instance"])


@hookimpl
def comment_added(ticket: Any, comment: Any, actor: Any, session: Any) -> None:
    from hub.sdk import tracker as services
    from plugins.notify import mails

    settings = _settings(session)
    if not ticket.requester_email or not settings["comments"] or comment.visibility != "public" \
            or _by_requester(ticket, actor) or comment.author_type == "requester" or _remote_speaks(session, ticket):
        return
    url = services.status_url(session, ticket.ref)
    # Never the login: the name the requester sees is the hub's (HUB_REQUESTER_SEES).
    team = "The support team"  # HUB_TEAM_NAME's default: the hub's own words, translated; a chosen name is kept
    author = comment.public_author or team
    if author == team:
        with in_language(ticket.language):
            author = gettext("The support team")
    subject, body = mails.comment(ticket, comment.body, author, url)
    mails.queue(session, ticket, kind="comment", key=f"notify:{ticket.ref}:comment:{comment.id}", subject=subject,
                body=body, context={"status_url": url, "comment": comment.body, "author": author},
                instance=settings["instance"])


@hookimpl
def status_changed(ticket: Any, old: str, new: str, actor: Any, session: Any) -> None:
    from hub.sdk import tracker as services
    from plugins.notify import mails

    settings = _settings(session)
    if not ticket.requester_email or _by_requester(ticket, actor):
        return
    if ticket.flapping and actor.type == "connector":
        return  # damped: a problem that comes and goes would mail each coming and going
    if ticket.duplicate_of:
        return  # merged: the merge's public comment tells the requester, with their status link
    if new not in ("resolved", *settings["status_changes"]) or _remote_speaks(session, ticket):
        return
    links: list[tuple[int, str]] = []
    if new == "resolved" and settings["resolution"]:
        url = services.status_url(session, ticket.ref)
        links = services.survey_links(session, ticket.ref) if settings["rating_links"] else []
        subject, body = mails.resolution(ticket, "", url, links)
        kind = "resolution"
    elif new in settings["status_changes"] and new != "resolved":
        url = services.status_url(session, ticket.ref)
        subject, body = mails.status(ticket, new, url)
        kind = "status"
    else:
        return
    # One mail per move: the ticket's version changes with every transition.
    mails.queue(session, ticket, kind=kind, key=f"notify:{ticket.ref}:status:{ticket.version}:{new}",
                subject=subject, body=body, context={"status_url": url, "status": new, "old_status": old,
                                                      "rating_links": {str(score): link for score, link in links}},
                instance=settings["instance"])
