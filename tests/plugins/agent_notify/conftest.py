"""Agents' notifications are tested with real people in real groups, through the API and pages
the agents use, and mail through the ``smtp`` connector to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from tests.conftest import ApiClient, make_token
from tests.support.mail_fixtures import *  # noqa: F403
from tests.support.services import need_redis

PASSWORD = "correct horse battery"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    prefix = f"agn{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, OUTBOX_BACKOFF_SECONDS=0.01,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=10, BASE_URL="http://hub.test",
                      PLUGINS=[("agent-notify", "plugins.agent_notify"), ("sla", "plugins.sla"),
                               ("email", "connectors.email"), ("webhook", "connectors.webhook")])
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def add_person(app: Flask, username: str, role: str = "agent", email: str | None = "") -> None:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username=username, role=role, password=PASSWORD,
                    email=f"{username}@hub.test" if email == "" else email, display_name=username.capitalize())


class Team:
    """A quality group of two agents (bob, carol), an agent outside it (dave), and a client per person."""

    def __init__(self, app: Flask, api: ApiClient) -> None:
        self.app = app
        self.api = api
        assert api.post("/api/v1/departments", json={"slug": "quality", "name": "Quality"}).status_code == 201
        assert api.post("/api/v1/groups", json={"slug": "quality", "name": "Quality",
                                                "department": "quality"}).status_code == 201
        for name in ("bob", "carol", "dave"):
            add_person(app, name)
        for name in ("bob", "carol"):
            assert api.put(f"/api/v1/groups/quality/members/{name}").status_code == 200
        self.clients: dict[str, ApiClient] = {}

    def client(self, username: str) -> ApiClient:
        """An API client acting as ``username`` (a token bound to them)."""
        if username not in self.clients:
            from hub.auth.tokens import create_token
            from hub.models import User

            with self.app.extensions["hub"].db.transaction() as session:
                from sqlalchemy import select

                user = session.scalar(select(User).where(User.username == username))
                secret, _ = create_token(session=session, name=f"t-{username}", role=user.role, user=user)
            self.clients[username] = ApiClient(self.app.test_client(), secret)
        return self.clients[username]

    def incident(self, client: ApiClient | None = None, **values: Any) -> str:
        body = {"title": "Filler on line 3 stops every hour", "description": "Since the night shift.", **values}
        response = (client or self.api).post("/api/v1/incidents", json=body)
        assert response.status_code == 201, response.json
        return str(response.json["ref"])

    def inbox(self, username: str, **kwargs: Any) -> list[Any]:
        from hub.sdk import hub_services

        with self.app.extensions["hub"].db.reading() as session:
            return hub_services.notifications(session, username, **kwargs)

    def kinds(self, username: str) -> list[tuple[str, str | None]]:
        return [(row.kind, row.ticket_ref) for row in self.inbox(username)]


@pytest.fixture
def team(app: Flask, api: ApiClient) -> Team:
    return Team(app, api)


@pytest.fixture
def token_for(app: Flask) -> Any:
    def make(role: str, username: str) -> ApiClient:
        return ApiClient(app.test_client(), make_token(app, role, username, f"{username}@hub.test"))

    return make
