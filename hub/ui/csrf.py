"""CSRF protection for pages: a per-session token in every form, checked on every write."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request, session
from werkzeug.exceptions import BadRequest

from hub.sdk.web import csrf_exempt as csrf_exempt  # the SDK marks views; init_csrf honours it

F = TypeVar("F", bound=Callable[..., Any])
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    token = session.get("_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["_csrf"] = token
    return str(token)


class CsrfError(BadRequest):
    description = "The form expired or did not come from this site. Go back, reload the page and try again."


def init_csrf(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def check_csrf() -> None:
        if request.method in SAFE or request.path.startswith("/api/") or request.endpoint is None:
            return
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "hub_csrf_exempt", False):
            return
        sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
        expected = session.get("_csrf") or ""
        if not expected or not hmac.compare_digest(str(sent), str(expected)):
            raise CsrfError()
