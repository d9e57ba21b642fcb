"""Speaking the requester's language: translated text on pages and in mails.

Hotel guests and a plant's customers do not all read the hub's language. What they see
(the status page, a web form, the mails about their ticket) is written in English in the
code, marked with ``gettext`` (or ``_``), and looked up in the hub's catalogues
(hub/translations, Flask-Babel) in the language the hub chose:

- on a page marked ``for_requesters``: the language the requester picked (``?lang=``, kept
  in a cookie), else their ticket's, else their browser's (Accept-Language), else
  HUB_DEFAULT_LANGUAGE;
- on other pages: the signed-in user's profile language, where the agent pages have a
  catalogue for it;
- in a mail: what the code asks for with ``in_language(ticket.language)``.

Outside a running app (a unit test of a helper) every text stays English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

# Flask and Flask-Babel are imported where they are used: the tracker marks its messages
# with N_ from here and stays free of Flask.

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["N_", "current_language", "for_requesters", "gettext", "in_language", "lazy_gettext", "match_language",
           "ngettext", "normal_tag", "offered_language"]

#: Where the app keeps its default language (hub.ui.languages), for ``in_language``.
DEFAULT_LANGUAGE = "hub_default_language"


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue without translating it here: the page that shows it
    translates it (``gettext(error.detail)``), in the language of whoever reads it."""
    return text


def gettext(text: str, **variables: Any) -> str:
    """``text`` in the current language; ``%(name)s`` placeholders filled from ``variables``."""
    from flask_babel import gettext as translate

    return translate(text, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or (one of the language's) plural forms for ``num``, as ``%(num)d``."""
    from flask_babel import ngettext as translate

    return translate(singular, plural, num, **variables)


def lazy_gettext(text: str, **variables: Any) -> Any:
    """Translated when shown, in the language of that moment: for texts kept in a module."""
    from flask_babel import lazy_gettext as translate_later

    return translate_later(text, **variables)


_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def normal_tag(raw: str) -> str:
    """``pt_BR`` or ``PT-br`` as ``pt-br``; ValueError for what is no language tag."""
    tag = raw.strip().replace("_", "-").lower()
    if not _TAG.match(tag):
        raise ValueError(f"{raw.strip()[:20]!r} is not a language tag such as en, de or pt-BR")
    return tag


def match_language(raw: Any, supported: Iterable[str]) -> str | None:
    """The supported language ``raw`` asks for: the tag itself, else its language alone
    (``es-MX`` is ``es``); None when it is none of them (or no tag at all)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        tag = normal_tag(raw)
    except ValueError:
        return None
    offered = set(supported)
    for candidate in (tag, tag.split("-")[0]):
        if candidate in offered:
            return candidate
    return None


def offered_language(raw: Any) -> str | None:
    """The language of HUB_LANGUAGES that ``raw`` (a form's or a body's ``language``) asks for, or None."""
    from flask import current_app, has_app_context

    return match_language(raw, current_app.config.get("LANGUAGES", ())) if has_app_context() else None


def for_requesters(view: F) -> F:
    """Mark a view as the requester's (a public form, a status page): it speaks their
    language rather than the signed-in user's, and offers the language switcher."""
    view.hub_requester_page = True  # type: ignore[attr-defined]
    return view


def locale_name(language: str) -> str:
    """A hub language tag (``pt-br``) as Babel names the locale (``pt_BR``)."""
    base, _, region = language.partition("-")
    return f"{base}_{region.upper()}" if region else base


def current_language() -> str:
    """The tag of the language text is being written in now (``es``), e.g. to store on a ticket."""
    from flask import current_app, has_app_context
    from flask_babel import get_locale

    if not has_app_context():
        return "en"
    locale = get_locale()
    if locale is None:
        return str(current_app.extensions.get(DEFAULT_LANGUAGE, "en"))
    return str(locale).replace("_", "-").lower()


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """Write in ``language`` inside the block (None: HUB_DEFAULT_LANGUAGE), whatever the page
    around it speaks: an agent's reply on a German page still mails the Spanish guest in Spanish."""
    from flask import current_app, has_app_context
    from flask_babel import force_locale

    if not has_app_context() or DEFAULT_LANGUAGE not in current_app.extensions:
        yield
        return
    # A language the hub does not offer (any more) is spoken as the default.
    with force_locale(locale_name(offered_language(language) or current_app.extensions[DEFAULT_LANGUAGE])):
        yield
