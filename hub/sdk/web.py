"""What connector and plugin pages take from the hub: one import, not the core's modules.

A connector's public form, a plugin's admin page or dashboard is a Flask blueprint
(``register_blueprints``) with a menu entry (``register_menu_items``). They reach the
database, the signed-in user, CSRF and the page shell through the names below.

This module imports nothing of the hub's core: the marks (``public``, ``csrf_exempt``,
``rate_limited``), ``MenuItem``, ``problem`` and the form-error helpers are defined here
and the core honours them; the request's Runtime is the app's ``extensions["hub"]``; and
``login_required`` hands over, per request, to the implementation the app registers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Response, current_app, g, json, request

from hub.sdk.tracker_errors import TrackerError, ValidationFailed

if TYPE_CHECKING:
    from flask_limiter import RequestLimit
    from sqlalchemy.orm import Session

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "MenuItem",
    "RateLimit",
    "client_address",
    "csrf_exempt",
    "current_principal",
    "describe_error",
    "field_errors",
    "flat_messages",
    "login_required",
    "problem",
    "public",
    "rate_limited",
    "reading",
    "retry_after",
    "runtime",
    "unit_of_work",
]

#: Where the app keeps its page-login check (hub.ui.auth.login_required), for ``login_required``.
LOGIN_REQUIRED = "hub_login_required"


# -- the request's hub ---------------------------------------------------------------------


def runtime() -> Any:
    """The hub Runtime of the current app (settings, database, clock, plugins)."""
    return current_app.extensions["hub"]


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for one write request: commits when the block finishes cleanly."""
    with runtime().db.transaction() as session:
        yield session


@contextmanager
def reading() -> Iterator[Session]:
    """A read-only session for one request."""
    with runtime().db.reading() as session:
        yield session


def current_principal() -> Any:
    """Who is calling (a user or API token's principal), or None."""
    return g.get("principal")


# -- marks the core honours ------------------------------------------------------------------


def public(view: F) -> F:
    """Mark a view as open without a token (health checks, signed webhooks, public forms)."""
    try:
        view.hub_public = True  # type: ignore[attr-defined]
        return view
    except AttributeError:  # a bound method (flask-smorest's own views) takes no attributes

        @wraps(view)
        def open_view(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        open_view.hub_public = True  # type: ignore[attr-defined]
        return open_view  # type: ignore[return-value]


def csrf_exempt(view: F) -> F:
    """For public endpoints that defend themselves otherwise (JSON with origin checks)."""
    view.hub_csrf_exempt = True  # type: ignore[attr-defined]
    return view


@dataclass(frozen=True)
class RateLimit:
    """One limit on a view (see ``rate_limited``)."""

    limit: str | Callable[[], str]
    key: Callable[[], str] | None
    scope: str | None
    methods: tuple[str, ...]
    count_when: Callable[[Response], bool] | None
    on_breach: Callable[[RequestLimit], Response] | None


def rate_limited(
    limit: str | Callable[[], str], *, key: Callable[[], str] | None = None, scope: str | None = None,
    methods: tuple[str, ...] = ("POST",), count_when: Callable[[Response], bool] | None = None,
    on_breach: Callable[[RequestLimit], Response] | None = None,
) -> Callable[[F], F]:
    """Limit a view: ``limit`` like ``"30 per 15 minutes"`` (or a function giving one).

    ``key`` tells the callers apart (default: the client's address); views sharing a
    ``scope`` share one count; ``count_when`` counts only the responses it accepts (a
    failed sign-in), after they are made; ``on_breach`` builds the answer to a caller over
    the limit (default: 429 as problem+json or the hub's error page).
    """

    def mark(view: F) -> F:
        marks = [*getattr(view, "hub_rate_limits", ()),
                 RateLimit(limit, key, scope, tuple(method.upper() for method in methods), count_when, on_breach)]
        view.hub_rate_limits = marks  # type: ignore[attr-defined]
        return view

    return mark


def client_address() -> str:
    return request.remote_addr or "unknown"


def retry_after(limit: RequestLimit) -> str:
    """Seconds until the limit lets the caller in again, for a Retry-After header."""
    return str(max(1, int(limit.reset_at - time.time())))


def login_required(permission: str | None = None) -> Callable[[F], F]:
    """Pages need a signed-in user (redirect to the login page) with ``permission`` (403).

    The check itself is the app's (registered under ``LOGIN_REQUIRED``); it is looked up
    when a request comes, since plugin modules are imported before the app exists.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            check = current_app.extensions[LOGIN_REQUIRED](permission)
            return check(view)(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


# -- answers, menus, forms -------------------------------------------------------------------


PROBLEM_TYPE = "urn:itsm-hub:problem:"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + kind if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    if errors:
        body["errors"] = errors
    body.update({key: value for key, value in extra.items() if value is not None})
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@dataclass(frozen=True)
class MenuItem:
    """A main-menu entry (``register_menu_items``): a label, the endpoint it opens, the
    permission a user needs to see it, an optional keyboard shortcut, and its order."""

    label: str
    endpoint: str
    permission: str | None = None
    key: str | None = None
    order: int = 100
    badge: Callable[[Any], int | None] | None = None
    """A count shown beside the label (unread notifications), asked on every page with the
    signed-in principal; 0 or None shows none. Keep it to one indexed query."""


def field_errors(exc: ValidationFailed, prefix: str = "") -> dict[str, list[str]]:
    """The errors of a ValidationFailed keyed by form field (``config.port`` -> ``port`` with prefix config.)."""
    out: dict[str, list[str]] = {}
    for key, messages in exc.errors.items():
        name = key[len(prefix):] if prefix and key.startswith(prefix) else key
        out.setdefault(name, []).extend(_flatten(messages))
    return out


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [f"{key}: {text}" for key, value in messages.items() for text in _flatten(value)]
    if isinstance(messages, list | tuple):
        return [text for item in messages for text in _flatten(item)]
    return [str(messages)]


def describe_error(exc: TrackerError) -> str:
    """One readable sentence for a service error, with field messages when there are any."""
    if isinstance(exc, ValidationFailed) and exc.errors:
        details = "; ".join(f"{name}: {' '.join(_flatten(messages))}" for name, messages in exc.errors.items())
        return f"{exc.detail} {details}"
    return exc.detail


def flat_messages(messages: Any, path: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages by dotted path, for showing each beside its input:
    ``{"rules": {2: {"name": [..]}}}`` becomes ``{"rules.2.name": [..]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            inner = path if key == "_schema" else f"{path}.{key}".strip(".")
            for found, texts in flat_messages(value, inner).items():
                out.setdefault(found, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for item in messages:
            for found, texts in (flat_messages(item, path) if isinstance(item, dict | list | tuple)
                                 else {path: [str(item)]}).items():
                out.setdefault(found, []).extend(texts)
    else:
        out[path] = [str(messages)]
    return out
