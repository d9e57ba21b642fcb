"""Times on pages: in the viewer's own zone, with the exact UTC moment on hover.

A signed-in user's zone comes from their profile (Principal.timezone); anyone else (a
requester on the status page) reads UTC, as the zone is not known.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from markupsafe import Markup, escape

from hub.auth.profile import zone_of
from hub.ui.languages import is_requester_page, requester_moment

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def viewer_zone() -> ZoneInfo:
    """The zone pages show times in for whoever is asking."""
    principal = g.get("principal") if has_request_context() else None
    return zone_of(getattr(principal, "timezone", None))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def when(value: datetime | None, zone: ZoneInfo | None = None) -> Markup | str:
    """``<time datetime="…Z" title="… UTC">2026-11-16 10:14 CET</time>``; empty for no time."""
    if value is None:
        return ""
    if zone is None and is_requester_page():
        return requester_moment(value)  # the requester's language writes dates its own way
    moment = _aware(value).astimezone(UTC)
    local = moment.astimezone(zone or viewer_zone())
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso, moment.strftime("%Y-%m-%d %H:%M:%S UTC"), escape(shown))


def local_input(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """The value of a ``datetime-local`` input: the moment on the viewer's wall clock."""
    if value is None:
        return ""
    return _aware(value).astimezone(zone or viewer_zone()).strftime(LOCAL_INPUT)


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """A ``datetime-local`` value (or an ISO time with its own offset) read in ``zone``, as UTC.

    Raises ValueError with a readable message. A wall-clock time skipped by a daylight-saving
    change is read as the moment after the gap (zoneinfo's fold rules).
    """
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a date and time like 2026-12-24 18:30.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def duration(seconds: float | int | None) -> str:
    """A span as people say it: ``45 min``, ``3 h 20 min``, ``2 d 4 h`` (sign ignored)."""
    if seconds is None:
        return ""
    span = timedelta(seconds=abs(int(seconds)))
    days, rest = span.days, span.seconds
    hours, minutes = rest // 3600, (rest % 3600) // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(minutes, 1) if span.total_seconds() >= 30 else minutes} min"


def zone_label(zone: Any = None) -> str:
    """The viewer's zone as shown next to inputs (``Europe/Berlin``)."""
    return str(zone or viewer_zone())
