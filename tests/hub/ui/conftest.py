"""Fixtures for page tests: signed-in browsers (Flask test clients) per role, and sample tickets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


class Browser:
    """A test client signed in through the login form, posting forms with their CSRF token."""

    def __init__(self, app: Flask, username: str) -> None:
        self.client = app.test_client()
        self.username = username
        page = self.client.get("/login").get_data(as_text=True)
        self.token = csrf_of(page)
        signed = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": self.token})
        assert signed.status_code == 302, signed.get_data(as_text=True)
        # Signing in starts a new session, and with it a new CSRF token.
        self.token = csrf_of(self.client.get("/login").get_data(as_text=True))

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def text(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:2000])
        return response.get_data(as_text=True)

    def post(self, url: str, data: dict[str, Any] | None = None, *, follow: bool = False, csrf: bool = True) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token)
        return self.client.post(url, data=form, follow_redirects=follow)


def add_user(app: Flask, username: str, role: str) -> None:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username=username, role=role, password=PASSWORD,
                    email=f"{username}@hub.test")


@pytest.fixture
def as_role(app: Flask) -> Any:
    """``as_role("agent")`` gives a Browser signed in as a new user with that role."""
    made: dict[str, Browser] = {}

    def build(role: str, username: str | None = None) -> Browser:
        name = username or f"{role}1"
        if name not in made:
            add_user(app, name, role)
            made[name] = Browser(app, name)
        return made[name]

    return build


def open_ticket(app: Flask, kind: str = "incident", **values: Any) -> str:
    from hub.ingest.pipeline import open_ticket as make
    from hub.sdk.actors import Actor

    values.setdefault("title", "Printer on floor 2 is jammed")
    if kind == "change":
        values.setdefault("change_type", "normal")
    with app.extensions["hub"].db.transaction() as session:
        ticket = make(session=session, kind=kind, values=values, source="api",
                      actor=Actor(type="system", name="test", origin="test"))
        return ticket.ref
