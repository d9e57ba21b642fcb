"""Signing in and out of the pages; role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, session, url_for

from hub.api.context import runtime
from hub.api.throttle import client_address, rate_limited
from hub.auth.principals import Principal
from hub.auth.users import authenticate, end_sessions

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("ui_auth", __name__)


def current_user() -> Principal | None:
    principal = g.get("principal")
    return principal if principal is not None and principal.via == "session" else None


def login_required(permission: str | None = None) -> Callable[[F], F]:
    """Pages need a signed-in user (redirect to the login page) with ``permission`` (403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("ui_auth.login", next=request.full_path.rstrip("?")))
            if permission and not user.can(permission):
                abort(403, f"Your role ({user.role}) cannot open this page.")
            return view(*args, **kwargs)

        checked.hub_permission = permission  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def _safe_next(target: str | None) -> str:
    """Only redirect within the hub after signing in (no open redirects)."""
    if not target:
        return url_for("ui.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("ui.home")
    return target


#: Sign-in attempts allowed per client address, and failures per username from one
#: address, in LOGIN_WINDOW. A username is never locked for everyone: the right password
#: from another address still signs in, so knowing a name is not a lock-out switch.
LOGIN_ATTEMPTS_PER_ADDRESS = 30
LOGIN_FAILURES_PER_USER_AND_ADDRESS = 10
LOGIN_WINDOW = "15 minutes"


def _username_at_address() -> str:
    return f"{request.form.get('username', '').strip()[:150].lower()}@{client_address()}"


def _too_many(_limit: Any = None) -> Any:
    message = "Too many sign-in attempts. Wait 15 minutes and try again, or ask an admin to reset your password."
    response = make_response(render_template("ui/login.html", error=message,
                                             username=request.form.get("username", "")), 429)
    response.headers["Retry-After"] = "900"
    return response


def _attempts() -> str:
    return f"{LOGIN_ATTEMPTS_PER_ADDRESS} per {LOGIN_WINDOW}"


def _failures() -> str:
    return f"{LOGIN_FAILURES_PER_USER_AND_ADDRESS} per {LOGIN_WINDOW}"


@bp.route("/login", methods=["GET", "POST"])
@rate_limited(_attempts, scope="sign-in", on_breach=_too_many)
@rate_limited(_failures, key=_username_at_address, scope="sign-in-failures",
              count_when=lambda response: response.status_code == 401, on_breach=_too_many)
def login() -> Any:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:150]
        password = request.form.get("password", "")[:1000]
        with runtime().db.transaction() as db_session:
            user = authenticate(session=db_session, username=username, password=password) if username else None
            if user is not None:
                session.clear()
                session.permanent = True
                session["user"] = {"user_id": user.id, "role": user.role, "name": user.username,
                                   "email": user.email, "display": user.display_name or user.username,
                                   "epoch": user.session_epoch}
                return redirect(_safe_next(request.args.get("next")))
        error = "Wrong username or password."
    return render_template("ui/login.html", error=error, username=request.form.get("username", "")), (
        401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    user = current_user()
    if user is not None and user.user_id is not None:
        # Clearing the browser's copy is not enough: a copied cookie would still work.
        with runtime().db.transaction() as db_session:
            end_sessions(session=db_session, user_id=user.user_id)
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("ui_auth.login"))
