"""Agents' notifications: a ticket new in my group, assigned to me, the requester's reply, an
SLA warning or breach, a change awaiting my approval, a mention (``@name``). Each agent
chooses per event and channel: the list in the hub (the menu counts the unread), mail at
once or as an hourly digest, a team's webhook. Nobody hears of their own doing.

Other plugins add events, recipients and channels through the hooks this plugin declares
(``plugins/agent_notify/hookspecs.py``). Switched off, nobody is told (docs/admin.md).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from hub.hookspecs import hookimpl
from plugins.agent_notify import events
from plugins.agent_notify.choices import NAME

__all__ = ["NAME"]


@hookimpl
def register_hookspecs() -> list[object]:
    from plugins.agent_notify import hookspecs

    return [hookspecs]


@hookimpl
def declare_settings() -> type[Any]:
    from plugins.agent_notify.settings import AgentNotifySettings

    return AgentNotifySettings


@hookimpl
def register_blueprints() -> list[Any]:
    from plugins.agent_notify.views import make_blueprint

    return [make_blueprint()]


@hookimpl
def register_menu_items() -> list[Any]:
    from hub.sdk.web import MenuItem
    from plugins.agent_notify.views import PERMISSION, unread_badge

    return [MenuItem("Notifications", "agent_notify.notifications", PERMISSION, key="b", order=25,
                     badge=unread_badge)]


@hookimpl
def register_schedules() -> list[Any]:
    from hub.sdk import Schedule

    return [Schedule(name=f"{NAME}.digest", job="plugins.agent_notify.digest.send_digests", cron="0 * * * *")]


def _deliver(session: Any, ticket: Any, notices: list[events.Notice], actor: Any, key: str) -> None:
    from plugins.agent_notify.channels import deliver

    deliver(session, ticket, notices, actor, key)


@hookimpl
def ticket_created(ticket: Any, actor: Any, session: Any) -> None:
    _deliver(session, ticket, events.created(session, ticket), actor, f"{ticket.ref}:created")


@hookimpl
def ticket_updated(ticket: Any, changes: dict[str, Any], actor: Any, session: Any) -> None:
    if "assignee" in changes or "group" in changes:
        _deliver(session, ticket, events.updated(session, ticket, changes, actor), actor,
                 f"{ticket.ref}:v{ticket.version}")


@hookimpl
def status_changed(ticket: Any, old: str, new: str, actor: Any, session: Any) -> None:
    if ticket.kind == "change" and new in events.CHANGE_MOVES:
        _deliver(session, ticket, events.status_moved(session, ticket, old, new), actor,
                 f"{ticket.ref}:v{ticket.version}")


@hookimpl
def comment_added(ticket: Any, comment: Any, actor: Any, session: Any) -> None:
    _deliver(session, ticket, events.commented(session, ticket, comment, actor), actor,
             f"{ticket.ref}:comment{comment.id}")


@hookimpl(optionalhook=True)
def sla_warning(ticket: Any, target: str, due_at: datetime, session: Any) -> None:
    _deliver(session, ticket, [events.service_level(session, ticket, target, due_at, breached=False)], None,
             f"{ticket.ref}:sla:{target}:{due_at.isoformat()}")


@hookimpl(optionalhook=True)
def sla_breached(ticket: Any, target: str, due_at: datetime, session: Any) -> None:
    _deliver(session, ticket, [events.service_level(session, ticket, target, due_at, breached=True)], None,
             f"{ticket.ref}:sla:{target}:{due_at.isoformat()}")


@hookimpl
def agent_event_raised(ticket: Any, event: str, text: str, usernames: list[str], actor: Any, session: Any) -> None:
    # The text is part of the key: two events of one kind at one version of the ticket (two
    # of a change's tasks assigned one after the other) are two notices; a retry is one.
    said = hashlib.sha256(text.encode()).hexdigest()[:12]
    _deliver(session, ticket, [(event, list(usernames), text)], actor,
             f"{ticket.ref}:{event}:v{ticket.version}:{said}")
