"""Admin pages for people and machines: user accounts and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from sqlalchemy import select

from hub.api.context import principal, reading, runtime, unit_of_work
from hub.auth.principals import ROLE_ORDER
from hub.auth.profile import LANGUAGES, time_zones, update_profile
from hub.auth.tokens import create_token, revoke_token
from hub.auth.users import create_user, get_user, set_password
from hub.models import ApiToken, User
from hub.sdk.tracker_errors import Conflict, NotFound, TrackerError, ValidationFailed
from hub.ui.admin import bp
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, field_errors, flashing_errors, parse_int
from hub.ui.profile import profile_form

#: Ten years: an expiry further out is no expiry, and far enough out it is no date at all.
MAX_TOKEN_DAYS = 3650


def _users(session: Any) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


@bp.route("/users", methods=["GET", "POST"])
@login_required("admin")
def users() -> Any:
    errors: dict[str, list[str]] = {}
    problems: list[str] = []
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            with unit_of_work() as session:
                user = create_user(session=session, username=form.get("username", "").strip(),
                                   role=form.get("role", ""), password=form.get("password") or None,
                                   email=form.get("email", "").strip() or None,
                                   display_name=form.get("display_name", "").strip(),
                                   timezone=form.get("timezone") or "UTC", language=form.get("language") or "en")
                name = user.username
            flash(f"Created {name}.", "success")
            return redirect(url_for("ui_admin.users"))
        except ValidationFailed as exc:
            errors = field_errors(exc)
            problems.append(exc.detail)
        except TrackerError as exc:
            problems.append(describe_error(exc))
    with reading() as session:
        rows = _users(session)
    form.pop("password", None)
    return render_template("ui/admin/users.html", users=rows, roles=ROLE_ORDER, form=form, errors=errors,
                           problems=problems, me=principal().user_id, zones=time_zones(),
                           languages=LANGUAGES), 422 if problems else 200


@bp.post("/users/<int:user_id>/profile")
@login_required("admin")
def user_profile(user_id: int) -> Any:
    """Set a user's display name, time zone and language (the same checks as their own /profile)."""
    done = None
    with flashing_errors(), unit_of_work() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"No user {user_id}.")
        changes = update_profile(session=session, user=user, values=profile_form(request.form))
        done = f"Saved the profile of {user.username}." if changes else f"Nothing changed for {user.username}."
    if done:
        flash(done, "success")
    return redirect(url_for("ui_admin.users") + f"#user-{user_id}")


@bp.post("/users/<int:user_id>/active")
@login_required("admin")
def user_switch(user_id: int) -> Any:
    active = request.form.get("active") == "1"
    done = None
    with flashing_errors(), unit_of_work() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"No user {user_id}.")
        if user.id == principal().user_id and not active:
            raise Conflict("You cannot deactivate yourself; ask another admin.")
        user.active = active
        if not active:
            user.session_epoch += 1  # signed out everywhere at once
        done = f"{user.username} is {'active' if active else 'deactivated; their sessions and tokens stop'}."
    if done:
        current_app.extensions["hub.tokens"].forget()
        flash(done, "success")
    return redirect(url_for("ui_admin.users"))


@bp.post("/users/<int:user_id>/password")
@login_required("admin")
def user_password(user_id: int) -> Any:
    done = None
    with flashing_errors(), unit_of_work() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"No user {user_id}.")
        set_password(session=session, user=user, password=request.form.get("password") or "")
        done = f"Changed the password of {user.username}; their sessions have ended."
        if user.id == principal().user_id:  # an admin changing their own stays signed in here
            flask_session["user"] = {**flask_session["user"], "epoch": user.session_epoch}
    if done:
        flash(done, "success")
    return redirect(url_for("ui_admin.users"))


def _tokens(session: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(ApiToken, User.username).outerjoin(User, User.id == ApiToken.user_id)
                           .order_by(ApiToken.id.desc()).limit(500)).all()
    return [{"token": token, "user": username} for token, username in rows]


@bp.route("/tokens", methods=["GET", "POST"])
@login_required("admin")
def tokens() -> Any:
    problems: list[str] = []
    errors: dict[str, list[str]] = {}
    created = None
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            with unit_of_work() as session:
                user = get_user(session, form["username"].strip()) if form.get("username", "").strip() else None
                days = parse_int(form.get("expires_days"), -1) if form.get("expires_days") else None
                if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
                    raise ValidationFailed({"expires_days": [f"A whole number of days, 1 to {MAX_TOKEN_DAYS}."]})
                expires = runtime().now() + timedelta(days=days) if days else None
                secret, token = create_token(session=session, name=form.get("name", "").strip() or "ui",
                                             role=form.get("role") or None, user=user, expires_at=expires)
                created = {"secret": secret, "id": token.id, "name": token.name, "role": token.role}
            form = {}
        except ValidationFailed as exc:
            errors = field_errors(exc)
            problems.append(describe_error(exc))
        except TrackerError as exc:
            problems.append(describe_error(exc))
    with reading() as session:
        rows = _tokens(session)
        usernames = [user.username for user in _users(session) if user.active]
    status = 201 if created else (422 if problems else 200)
    # The secret is shown in this response only: never flashed (flashes live in the session cookie).
    return render_template("ui/admin/tokens.html", tokens=rows, roles=ROLE_ORDER, usernames=usernames,
                           created=created, form=form, errors=errors, problems=problems,
                           now=runtime().now()), status


@bp.post("/tokens/<int:token_id>/revoke")
@login_required("admin")
def token_revoke(token_id: int) -> Any:
    done = None
    with flashing_errors(), unit_of_work() as session:
        token = revoke_token(session=session, token_id=token_id)
        done = f"Token {token.id} ({token.name}) is revoked."
    if done:
        current_app.extensions["hub.tokens"].forget()
        flash(done, "success")
    return redirect(url_for("ui_admin.tokens"))
