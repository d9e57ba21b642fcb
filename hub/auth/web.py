"""Authentication of web requests: bearer tokens for /api, sessions for pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from werkzeug.exceptions import Forbidden, Unauthorized

from hub.auth.principals import Principal
from hub.auth.tokens import TokenChecker
from hub.sdk.web import public as public  # the SDK marks views; this module honours the mark

F = TypeVar("F", bound=Callable[..., Any])


def is_public(view: Any) -> bool:
    while view is not None:
        if getattr(view, "hub_public", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def current_principal() -> Principal | None:
    return g.get("principal")


def requires(permission: str) -> Callable[[F], F]:
    """Refuse the view (403) unless the caller's role grants ``permission``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                raise Unauthorized("Send an API token: Authorization: Bearer <token>.")
            if not principal.can(permission) and not (
                permission.endswith(":read") and principal.can(permission + ":own")
            ):
                raise Forbidden(f"The role '{principal.role}' may not do this ({permission}).")
            return view(*args, **kwargs)

        checked.hub_permission = permission  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _session_user(user_id: int) -> tuple[str, int, str, str] | None:
    """The user's current role, session epoch, time zone and language, or None if they may no longer sign in."""
    from hub.models import User

    with current_app.extensions["hub"].db.reading() as db_session:
        row = db_session.get(User, user_id)
        if row is None or not row.active:
            return None
        return row.role, row.session_epoch, row.timezone, row.language


def init_auth(app: Flask, checker: TokenChecker) -> None:
    app.extensions["hub.tokens"] = checker

    @app.before_request
    def authenticate() -> None:
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        open_view = is_public(view)
        token = _bearer()
        if token is not None:
            principal = checker.check(token)
            if principal is not None:
                g.principal = principal
                return
            if request.path.startswith("/api/") and not open_view:
                # Public views (webhooks) may carry credentials of their own in this header.
                raise Unauthorized("The API token is unknown, expired or revoked.")
        user = session.get("user")
        if isinstance(user, dict) and "role" in user and "user_id" in user:
            current = _session_user(int(user["user_id"]))
            if current is None or current[1] != user.get("epoch", 0):
                session.clear()  # deactivated, or signed out everywhere
            else:
                g.principal = Principal(role=current[0], name=user["name"], user_id=user["user_id"],
                                        email=user.get("email"), via="session", timezone=current[2],
                                        language=current[3])
        if not request.path.startswith("/api/") or request.endpoint is None or open_view:
            return
        principal = g.get("principal")
        if principal is None or principal.via != "token":
            # Session cookies do not authenticate the API: it has no CSRF defence.
            raise Unauthorized("Send an API token: Authorization: Bearer <token>.")
