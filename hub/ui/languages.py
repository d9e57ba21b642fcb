"""Which language a page speaks, the requester's language switcher, and times and sizes in it.

Two catalogues live in hub/translations: ``requester`` (the status page, web forms, the
mails; complete in every language the hub offers) and ``messages`` (the agents' pages;
English for now). Flask-Babel merges them, so a page looks a text up wherever it is.

A requester's page (``hub.sdk.i18n.for_requesters``) speaks, in this order: the language
they picked (``?lang=``, then kept in a cookie), their ticket's, their browser's best
(Accept-Language), HUB_DEFAULT_LANGUAGE. Any other page speaks the signed-in user's
profile language where the agents' catalogue has it, else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale
from markupsafe import Markup, escape

from hub.auth.profile import LANGUAGES as LANGUAGE_NAMES
from hub.auth.profile import zone_of
from hub.sdk.i18n import DEFAULT_LANGUAGE, N_, current_language, gettext, locale_name, match_language

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
REQUESTER_DOMAIN = "requester"
AGENT_DOMAIN = "messages"
#: The requester's choice, kept for a year on their device (nothing else is in it).
COOKIE = "hub_lang"
COOKIE_DAYS = 365
#: What an error page may tell a requester (werkzeug's words and the tracker's), for the
#: catalogue: hub.ui's error page looks each up in the reader's language.
ERROR_TEXTS = (
    N_("Bad Request"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"), N_("Request Entity Too Large"),
    N_("Too Many Requests"), N_("Conflict"), N_("Not found"), N_("Bad request"), N_("Validation failed"),
    N_("Something went wrong"), N_("The hub hit an unexpected error; it has been logged."),
    N_("The form expired or did not come from this site. Go back, reload the page and try again."),
    N_("Too many requests; wait a little and try again."),
    N_("The data value transmitted exceeds the capacity limit."),
    N_("The method is not allowed for the requested URL."),
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
)


@dataclass(frozen=True)
class Languages:
    """What this app speaks: to requesters (HUB_LANGUAGES) and on the agents' pages."""

    offered: tuple[str, ...]
    default: str
    agent: tuple[str, ...]
    zone: str


def shipped(domain: str, root: Path = TRANSLATIONS) -> set[str]:
    """Language tags with a compiled catalogue of ``domain``; English is the source, always there."""
    found = {"en"}
    for mo in root.glob(f"*/LC_MESSAGES/{domain}.mo"):
        found.add(mo.parts[-3].replace("_", "-").lower())
    return found


def init_languages(app: Flask) -> None:
    """Flask-Babel with the hub's catalogues; ValueError naming the setting when one is missing."""
    offered = tuple(dict.fromkeys(app.config["LANGUAGES"]))
    default = app.config["DEFAULT_LANGUAGE"]
    missing = [tag for tag in offered if tag not in shipped(REQUESTER_DOMAIN)]
    if missing:
        raise ValueError(f"HUB_LANGUAGES: no catalogue for {', '.join(missing)} in {TRANSLATIONS} "
                         "(docs/admin.md, Languages, says how to add one)")
    if default not in offered:
        raise ValueError(f"HUB_DEFAULT_LANGUAGE: {default!r} is not one of HUB_LANGUAGES ({', '.join(offered)})")
    directories = f"{TRANSLATIONS};{TRANSLATIONS}"
    app.config.update(BABEL_TRANSLATION_DIRECTORIES=directories, BABEL_DOMAIN=f"{REQUESTER_DOMAIN};{AGENT_DOMAIN}",
                      BABEL_DEFAULT_LOCALE=locale_name(default), BABEL_DEFAULT_TIMEZONE=app.config["TIMEZONE"])
    Babel(app, locale_selector=select_locale)
    app.extensions[DEFAULT_LANGUAGE] = default
    app.extensions["hub.languages"] = Languages(offered, default, tuple(sorted(shipped(AGENT_DOMAIN))),
                                                app.config["TIMEZONE"])
    app.jinja_env.globals.update(page_language=current_language, language_switcher=language_switcher)
    app.jinja_env.filters.update(file_size=file_size)
    app.after_request(remember_choice)


def _languages() -> Languages:
    languages: Languages = current_app.extensions["hub.languages"]
    return languages


def is_requester_page() -> bool:
    """Whether this request is for a view marked ``for_requesters``."""
    if not has_request_context() or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    while view is not None:
        if getattr(view, "hub_requester_page", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def chosen_language() -> str | None:
    """The language the requester picked: ``?lang=`` on this request, else their cookie."""
    offered = _languages().offered
    return match_language(request.args.get("lang"), offered) or match_language(request.cookies.get(COOKIE), offered)


def requester_language() -> str:
    languages = _languages()
    found = chosen_language() or match_language(g.get("ticket_language"), languages.offered)
    if found:
        return found
    # In the browser's order of preference, each tag or its language (de-CH is de): Werkzeug's
    # best_match would take a lower-rated exact "fr" over the preferred "de-CH".
    for tag, _quality in request.accept_languages:
        found = match_language(tag, languages.offered)
        if found:
            return found
    return languages.default


def agent_language() -> str:
    languages = _languages()
    principal = g.get("principal")
    for wanted in (getattr(principal, "language", None), languages.default):
        found = match_language(wanted, languages.agent)
        if found:
            return found
    return "en"


def select_locale() -> str | None:
    """Flask-Babel's locale selector: None (the default) outside a request."""
    if not has_request_context():
        return None
    return locale_name(requester_language() if is_requester_page() else agent_language())


def speak_ticket_language(language: str | None, zone: str | None = None) -> None:
    """A requester's page has found its ticket: speak its language unless they chose one, and
    show times in the requester's zone when it is known."""
    from flask_babel import refresh

    g.ticket_language = language
    g.requester_zone = zone
    refresh()


def remember_choice(response: Response) -> Response:
    """Keep a ``?lang=`` choice (a click in the switcher), so the requester's next pages speak it too."""
    if request.method == "GET" and request.args.get("lang") and is_requester_page():
        choice = match_language(request.args.get("lang"), _languages().offered)
        if choice and request.cookies.get(COOKIE) != choice:
            response.set_cookie(COOKIE, choice, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                                secure=request.is_secure)
    return response


def language_switcher() -> list[dict[str, Any]]:
    """The links of the requester's switcher (empty on other pages or with one language)."""
    languages = _languages()
    if len(languages.offered) < 2 or not is_requester_page():
        return []
    current = current_language()
    others = {key: value for key, value in request.args.items() if key != "lang"}
    return [{"tag": tag, "name": LANGUAGE_NAMES.get(tag) or Locale.parse(locale_name(tag)).get_display_name() or tag,
             "url": f"{request.path}?{urlencode({**others, 'lang': tag})}", "current": tag == current}
            for tag in languages.offered]


def requester_zone() -> ZoneInfo:
    return zone_of(g.get("requester_zone") or _languages().zone)


def requester_moment(value: datetime) -> Markup:
    """``<time …>16 nov 2026, 14:14 CET</time>``: the date and time as the requester's language writes them."""
    moment = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)
    local = moment.astimezone(requester_zone())
    locale = get_locale() or Locale.parse("en")
    pattern = str(locale.datetime_formats.get("medium", "{1}, {0}"))
    shown = pattern.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", tzinfo=local.tzinfo, locale=locale))
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        escape(f"{shown} {local.tzname() or 'UTC'}"))


def file_size(size: int) -> str:
    """A file's size with the locale's decimal mark and unit names (``1,5 MB``, ``12 Ko``)."""
    locale = get_locale() or Locale.parse("en")
    if size < 1024:
        return gettext("%(count)s bytes", count=format_decimal(size, locale=locale))
    if size < 1024 * 1024:
        return gettext("%(count)s KB", count=format_decimal(round(size / 1024), locale=locale))
    return gettext("%(count)s MB", count=format_decimal(round(size / 1024 / 1024, 1), format="0.0", locale=locale))
