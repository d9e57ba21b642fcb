"""What a person sets about themselves: the name requesters see, their time zone and language."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.orm import Session

from hub.models import User
from hub.sdk.tracker_errors import ValidationFailed

#: Languages the profile offers, each named in itself (the requester's language switcher
#: uses the same names). The agents' pages speak one where hub/translations has a
#: ``messages`` catalogue for it (English so far); requesters' pages follow the requester.
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "it": "Italiano", "es": "Español",
             "nl": "Nederlands", "pl": "Polski", "pt": "Português", "cs": "Čeština", "sv": "Svenska"}
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
DISPLAY_NAME_MAX = 200
PROFILE_FIELDS = ("display_name", "timezone", "language")


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone the system knows, sorted (for the profile's list)."""
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC"))


def zone_of(name: str | None) -> ZoneInfo:
    """The zone a stored name means; UTC when empty or no longer known (a removed zone)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def profile_problems(values: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors of a profile change; empty when every given field is good."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(PROFILE_FIELDS))
    for name in unknown:
        errors[name] = [f"Not a profile field; the fields are {', '.join(PROFILE_FIELDS)}."]
    if "display_name" in values:
        name = values["display_name"]
        if not isinstance(name, str) or len(name.strip()) > DISPLAY_NAME_MAX:
            errors["display_name"] = [f"Text of at most {DISPLAY_NAME_MAX} characters."]
        elif any(ord(char) < 32 for char in name):
            errors["display_name"] = ["No line breaks or control characters."]
    if "timezone" in values:
        zone = values["timezone"]
        if not isinstance(zone, str) or zone not in time_zones():
            errors["timezone"] = [f"Not a time zone: {str(zone)[:60]!r}. Use an IANA name such as Europe/Berlin."]
    if "language" in values:
        tag = values["language"]
        if not isinstance(tag, str) or not _LANGUAGE_TAG.match(tag):
            errors["language"] = [f"Not a language tag: {str(tag)[:20]!r}. Use one such as en, de or fr-CH."]
    return errors


def update_profile(*, session: Session, user: User, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Change the user's display name, time zone or language; returns what changed."""
    errors = profile_problems(values)
    if errors:
        raise ValidationFailed(errors)
    changes: dict[str, tuple[Any, Any]] = {}
    for name in PROFILE_FIELDS:
        if name not in values:
            continue
        new = values[name].strip() if name == "display_name" else values[name]
        old = getattr(user, name)
        if old != new:
            changes[name] = (old, new)
            setattr(user, name, new)
    return changes


def present_profile(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "email": user.email, "role": user.role,
            "timezone": user.timezone, "language": user.language, "active": user.active}
