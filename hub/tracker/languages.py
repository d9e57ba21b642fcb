"""The requester's language: which tags the hub speaks, and matching what a caller sends to one.

A ticket keeps the language its requester used (the web form they filled in, the API's
``language``); mails and the status page speak it. The hub speaks the languages of
HUB_LANGUAGES, each backed by a catalogue in hub/translations.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.sdk.i18n import match_language


def supported_languages(session: Session) -> list[str]:
    return list(runtime_of(session).settings["LANGUAGES"])


def language_problems(session: Session, value: object) -> list[str]:
    """Why ``value`` cannot be a ticket's language (empty when it can; None clears it)."""
    if value is None:
        return []
    supported = supported_languages(session)
    if isinstance(value, str) and match_language(value, supported) is not None:
        return []
    return [f"Not a language the hub speaks; use one of: {', '.join(supported)}."]


def usable_language(session: Session, raw: str | None) -> str | None:
    """What a connector's draft says, as a language the hub speaks, or None (the default)."""
    return match_language(raw, supported_languages(session))
