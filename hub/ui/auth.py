"""Signing in and out of the pages; role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from hub.api.context import runtime
from hub.auth.principals import Principal
from hub.auth.users import authenticate, end_sessions
from hub.tracker.rate_limits import hit

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


#: Sign-in attempts allowed per address, and failures per username, in LOGIN_WINDOW seconds.
LOGIN_ATTEMPTS_PER_ADDRESS = 30
LOGIN_FAILURES_PER_USER = 10
LOGIN_WINDOW = 900


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:150]
        password = request.form.get("password", "")[:1000]
        with runtime().db.transaction() as db_session:
            if not hit(db_session, f"login-address:{request.remote_addr}", limit=LOGIN_ATTEMPTS_PER_ADDRESS,
                       window_seconds=LOGIN_WINDOW):
                return _too_many(username)
            if username and _locked(db_session, username):
                return _too_many(username)
            user = authenticate(session=db_session, username=username, password=password) if username else None
            if user is None and username:
                hit(db_session, f"login-user:{username.lower()}", limit=LOGIN_FAILURES_PER_USER,
                    window_seconds=LOGIN_WINDOW)
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


def _locked(db_session: Any, username: str) -> bool:
    """Too many failures for this username lately (counted without adding one)."""
    from hub.models import RateCounter

    counter = db_session.get(RateCounter, f"login-user:{username.lower()}")
    if counter is None:
        return False
    fresh = (runtime().now() - counter.window_start).total_seconds() < LOGIN_WINDOW
    return fresh and counter.count >= LOGIN_FAILURES_PER_USER


def _too_many(username: str) -> Any:
    message = "Too many sign-in attempts. Wait 15 minutes and try again, or ask an admin to reset your password."
    return render_template("ui/login.html", error=message, username=username), 429


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
