"""User accounts: create, change, authenticate."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.auth.passwords import hash_password, password_problems, verify_password
from hub.auth.principals import ROLE_ORDER
from hub.core.runtime import runtime_of
from hub.models import User
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed

_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")


def create_user(
    *, session: Session, username: str, role: str, password: str | None = None, email: str | None = None,
    display_name: str = "", timezone: str = "UTC", language: str = "en",
) -> User:
    from hub.auth.profile import profile_problems

    errors = profile_problems({"display_name": display_name, "timezone": timezone, "language": language})
    if not _USERNAME.match(username or ""):
        errors["username"] = ["2 to 150 letters, digits or _.@+-"]
    if role not in ROLE_ORDER:
        errors["role"] = [f"Must be one of: {', '.join(ROLE_ORDER)}."]
    if password is not None and (problems := password_problems(password)):
        errors["password"] = problems
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise Conflict(f"A user named {username!r} exists already.")
    user = User(
        username=username,
        role=role,
        email=email,
        display_name=display_name.strip(),
        timezone=timezone,
        language=language,
        password_hash=hash_password(password) if password else None,
        created_at=runtime_of(session).now(),
    )
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    """A new password; every session signed in with the old one ends (a stolen cookie too)."""
    problems = password_problems(password)
    if problems:
        raise ValidationFailed({"password": problems})
    user.password_hash = hash_password(password)
    user.session_epoch += 1


def end_sessions(*, session: Session, user_id: int) -> int:
    """Sign the user out everywhere: every session cookie issued so far stops working.

    Sessions are signed cookies; the epoch they carry is compared with the user's on each
    request, so raising it is the server-side "forget". Returns the new epoch.
    """
    user = session.get(User, user_id)
    if user is None:
        return 0
    user.session_epoch += 1
    return user.session_epoch


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not user.active:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    user.last_login_at = runtime_of(session).now()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user
