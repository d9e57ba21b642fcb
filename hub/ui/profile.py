"""/profile: the signed-in person's display name, time zone and language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub.api.context import principal, reading, unit_of_work
from hub.auth.profile import LANGUAGES, present_profile, time_zones, update_profile
from hub.models import User
from hub.sdk.tracker_errors import NotFound, ValidationFailed
from hub.ui.auth import login_required
from hub.ui.forms import field_errors

bp = Blueprint("ui_profile", __name__)


def profile_form(form: Any) -> dict[str, str]:
    """The profile fields a form sent (each stripped; absent ones left out)."""
    return {name: str(form[name]).strip() for name in ("display_name", "timezone", "language") if name in form}


@bp.route("/profile", methods=["GET", "POST"])
@login_required("profile")
def profile() -> Any:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = profile_form(request.form)
        try:
            with unit_of_work() as session:
                user = session.get(User, principal().user_id)
                if user is None:
                    raise NotFound("Your user no longer exists.")
                changes = update_profile(session=session, user=user, values=values)
            flash("Saved your profile." if changes else "Nothing changed.", "success")
            return redirect(url_for("ui_profile.profile"))
        except ValidationFailed as exc:
            errors = field_errors(exc)
    with reading() as session:
        user = session.get(User, principal().user_id)
        if user is None:
            raise NotFound("Your user no longer exists.")
        shown = {**present_profile(user), **values}
    return render_template("ui/profile.html", profile=shown, errors=errors, zones=time_zones(),
                           languages=LANGUAGES), 422 if errors else 200
