"""/api/v1/me (the caller's own profile) and /api/v1/admin/users (profiles an admin manages)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from hub.api.context import principal, reading, unit_of_work
from hub.api.schemas.people import ProfilePatchSchema, ProfileSchema
from hub.auth.profile import present_profile, update_profile
from hub.auth.users import get_user
from hub.auth.web import requires
from hub.models import User
from hub.sdk.tracker_errors import Conflict, NotFound

bp = Blueprint("people", __name__, url_prefix="/api/v1", description="Profiles: display name, time zone, language.")


def _own(session: Any) -> User:
    caller = principal()
    if caller.user_id is None:
        raise Conflict("This token belongs to no user, so it has no profile; use a token made for a user.")
    user = session.get(User, caller.user_id)
    if user is None:
        raise NotFound("Your user no longer exists.")
    return user


@bp.route("/me")
class Me(MethodView):
    @requires("profile")
    @bp.response(200, ProfileSchema)
    def get(self) -> Any:
        """The caller's profile."""
        with reading() as session:
            return present_profile(_own(session))

    @requires("profile")
    @bp.arguments(ProfilePatchSchema)
    @bp.response(200, ProfileSchema)
    def patch(self, data: dict[str, Any]) -> Any:
        """Change one's display name, time zone or language."""
        with unit_of_work() as session:
            user = _own(session)
            update_profile(session=session, user=user, values=data)
            return present_profile(user)


@bp.route("/admin/users", methods=["GET"])
@requires("admin")
@bp.response(200, ProfileSchema(many=True))
def users() -> Any:
    """Every user with their profile."""
    with reading() as session:
        from sqlalchemy import select

        return [present_profile(user) for user in session.scalars(select(User).order_by(User.username))]


@bp.route("/admin/users/<username>")
class UserProfile(MethodView):
    @requires("admin")
    @bp.response(200, ProfileSchema)
    def get(self, username: str) -> Any:
        with reading() as session:
            return present_profile(get_user(session, username))

    @requires("admin")
    @bp.arguments(ProfilePatchSchema)
    @bp.response(200, ProfileSchema)
    def patch(self, data: dict[str, Any], username: str) -> Any:
        """Set a user's display name, time zone or language."""
        with unit_of_work() as session:
            user = get_user(session, username)
            update_profile(session=session, user=user, values=data)
            return present_profile(user)
