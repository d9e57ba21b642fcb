"""A captured session cookie stops working after sign-out and after a password change (D4)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.hub.ui.conftest import Browser, add_user, csrf_of


def _replay(app: Flask, cookie: str) -> Any:
    """Someone else's browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("hub_session", cookie)
    return thief.get("/tickets")


def _captured(browser: Browser) -> str:
    cookie = browser.client.get_cookie("hub_session")
    assert cookie is not None
    return cookie.value


def test_signing_out_ends_the_session_on_the_server(app: Flask) -> None:
    add_user(app, "u_agent", "agent")
    browser = Browser(app, "u_agent")
    saved = _captured(browser)
    assert _replay(app, saved).status_code == 200

    page = browser.text("/tickets")
    assert browser.client.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 302
    refused = _replay(app, saved)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert Browser(app, "u_agent").get("/tickets").status_code == 200  # signing in again works


def test_a_password_reset_ends_every_session_of_that_user(app: Flask, as_role: Any) -> None:
    add_user(app, "u_agent", "agent")
    saved = _captured(Browser(app, "u_agent"))
    admin = as_role("admin")
    from hub.models import User

    with app.extensions["hub"].db.Session() as session:
        user_id = session.query(User.id).filter_by(username="u_agent").scalar()
    done = admin.post(f"/admin/users/{user_id}/password", {"password": "another good passphrase"}, follow=True)
    assert "their sessions have ended" in done.get_data(as_text=True)
    assert _replay(app, saved).status_code == 302
    assert admin.get("/tickets").status_code == 200  # the admin's own session is untouched


def test_an_admin_changing_their_own_password_stays_signed_in_here(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    saved = _captured(admin)
    from hub.models import User

    with app.extensions["hub"].db.Session() as session:
        user_id = session.query(User.id).filter_by(username="admin1").scalar()
    admin.post(f"/admin/users/{user_id}/password", {"password": "another good passphrase"})
    assert admin.get("/tickets").status_code == 200
    assert _replay(app, saved).status_code == 302  # the copy taken before the change is dead


def test_the_command_line_password_change_ends_sessions_too(app: Flask) -> None:
    from hub.auth.users import get_user, set_password

    add_user(app, "u_agent", "agent")
    saved = _captured(Browser(app, "u_agent"))
    with app.extensions["hub"].db.transaction() as session:
        set_password(session=session, user=get_user(session, "u_agent"), password="another good passphrase")
    assert _replay(app, saved).status_code == 302
