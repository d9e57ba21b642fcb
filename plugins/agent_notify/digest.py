"""The hourly digest: everyone who chose one digest mail an hour gets what waited for it, and
notifications read long ago are forgotten. Runs as a schedule (``register_schedules``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from hub.sdk import hub_services
from hub.sdk import tracker as services
from hub.sdk.values import NotificationInfo, PersonInfo
from hub.sdk.web import unit_of_work
from plugins.agent_notify.channels import outbox_key, send
from plugins.agent_notify.choices import NAME

log = logging.getLogger("hub.plugins.agent_notify")
#: Lines in one digest; more are counted, and the list in the hub has them all.
LINES = 50


def digest_body(person: PersonInfo, items: list[NotificationInfo], list_url: str, settings_url: str) -> str:
    lines = [f"Hello {person.display_name or person.username},", "",
             f"{len(items)} thing{'s' if len(items) != 1 else ''} happened since your last digest:", ""]
    for item in items[:LINES]:
        lines.append(f"- {item.created_at.strftime('%H:%M UTC')}  {item.text}")
    if len(items) > LINES:
        lines.append(f"... and {len(items) - LINES} more.")
    lines += ["", f"See them all: {list_url}", "", "-- ",
              f"You chose one digest mail an hour. Change it: {settings_url}",
              "This mail is sent automatically: answer on the tickets' pages, not by replying."]
    return "\n".join(lines) + "\n"


def send_digests() -> dict[str, Any]:
    """Mail each digest waiting; forget notifications read more than ``keep_days`` ago."""
    sent = 0
    with unit_of_work() as session:
        settings = services.plugin_settings(session, NAME)
        list_url = hub_services.page_url(session, "/notifications")
        settings_url = hub_services.page_url(session, "/notifications/settings")
        for person, items in hub_services.take_digests(session):
            if not person.email or not items:
                continue
            subject = f"Your hub digest: {len(items)} notification{'s' if len(items) != 1 else ''}"
            if send(session, person, subject=subject, body=digest_body(person, items, list_url, settings_url),
                    key=outbox_key("digest", person.username, str(items[-1].id)), instance=settings["instance"]):
                sent += 1
            else:
                log.warning("no digest for %s: no connector instance sends mail", person.username)
        cutoff = services.now(session) - timedelta(days=settings["keep_days"])
        pruned = hub_services.prune_notifications(session, read_before=cutoff)
    return {"digests": sent, "pruned": pruned}
