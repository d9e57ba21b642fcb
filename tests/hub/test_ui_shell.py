"""The pages' shell: signing in and out, CSRF, readable errors, security headers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def alice(app: Flask) -> None:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="alice", role="agent", password="correct horse battery")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def sign_in(client: Any, password: str = "correct horse battery", next_url: str = "") -> Any:
    page = client.get("/login")
    return client.post(f"/login{next_url}", data={"username": "alice", "password": password,
                                                 "csrf_token": csrf_of(page.get_data(as_text=True))})


def test_sign_in_and_out(app: Flask, alice: None) -> None:
    client = app.test_client()
    assert client.get("/").headers["Location"].startswith("/login")
    wrong = sign_in(client, "wrong password!")
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.get_data(as_text=True)
    right = sign_in(client)
    assert right.status_code == 302
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "alice" in home and "Sign out" in home
    logout = client.post("/logout", data={"csrf_token": csrf_of(home)})
    assert logout.status_code == 302
    assert client.get("/ui/whoami").status_code == 302


def test_sign_in_redirects_only_within_the_hub(app: Flask, alice: None) -> None:
    client = app.test_client()
    assert sign_in(client, next_url="?next=//evil.example/x").headers["Location"] == "/"
    client = app.test_client()
    assert sign_in(client, next_url="?next=/ui/whoami").headers["Location"] == "/ui/whoami"


def test_forms_without_the_csrf_token_are_refused(app: Flask, alice: None) -> None:
    client = app.test_client()
    refused = client.post("/login", data={"username": "alice", "password": "correct horse battery"})
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)
    sign_in(client)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400


def test_page_errors_are_html_and_api_errors_stay_problem_json(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Not Found" in page.get_data(as_text=True)
    assert client.get("/api/v1/no-such-thing").mimetype == "application/problem+json"


def test_security_headers_on_pages(app: Flask) -> None:
    response = app.test_client().get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = app.test_client()
    sign = cookie.get("/login")
    assert "HttpOnly" in sign.headers.get("Set-Cookie", "") and "SameSite=Lax" in sign.headers.get("Set-Cookie", "")


def test_assets_are_local(app: Flask) -> None:
    html = app.test_client().get("/login").get_data(as_text=True)
    for url in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    css = app.test_client().get("/static/ui/hub.css")
    assert css.status_code == 200
    css.close()


def test_signing_out_everywhere_and_deactivation_end_sessions(app: Flask, alice: None) -> None:
    from sqlalchemy import update

    from hub.models import User

    client = app.test_client()
    sign_in(client)
    assert client.get("/ui/whoami").json == {"user": "alice"}
    with app.extensions["hub"].db.transaction() as session:
        session.execute(update(User).values(session_epoch=User.session_epoch + 1))
    assert client.get("/ui/whoami").status_code == 302
    sign_in(client)
    assert client.get("/ui/whoami").status_code == 200
    with app.extensions["hub"].db.transaction() as session:
        session.execute(update(User).values(active=False))
    assert client.get("/ui/whoami").status_code == 302


def test_sign_in_is_rate_limited_per_user(app: Flask, alice: None) -> None:
    client = app.test_client()
    for _ in range(10):
        assert sign_in(client, "wrong password!").status_code == 401
    locked = sign_in(client)  # even the right password waits now
    assert locked.status_code == 429 and "Too many sign-in attempts" in locked.get_data(as_text=True)
