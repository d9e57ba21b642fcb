"""Authentication and authorization: every /api route needs a token unless it is public."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from hub.auth.web import is_public

#: The only API routes reachable without a token, and why.
PUBLIC_API_ROUTES = {
    "/api/v1/openapi.json",  # the contract itself
    "/api/v1/docs",  # its browsable rendering
    "/api/v1/docs/assets/<name>",  # the rendering's scripts and styles (from swagger-ui-bundle)
    "/api/v1/hooks/<slug>",  # webhooks: authenticated by each instance's own signature or token
    "/api/v1/hooks/<slug>/bulk",  # the same, many events at once
}


def api_rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]


def concrete(rule: Any) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return "1"
        return "INC-000001" if name == "ref" else "x"

    return re.sub(r"<(?:([^:>]+):)?([^>]+)>", value, rule.rule)


def test_every_api_route_requires_a_token_except_the_listed_ones(app: Flask, anonymous: Any) -> None:
    rules = api_rules(app)
    assert len(rules) > 10
    public_found = set()
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        if is_public(view):
            public_found.add(rule.rule)
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.client.open(concrete(rule), method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            assert response.mimetype == "application/problem+json"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert public_found <= PUBLIC_API_ROUTES | getattr(app, "extra_public_routes", set()), public_found


def test_health_routes_are_open(anonymous: Any) -> None:
    assert anonymous.get("/healthz").json["status"] == "ok"


def test_unknown_token_is_401(app: Flask) -> None:
    client = app.test_client()
    for header in ("Bearer hub_nope", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        response = client.get("/api/v1/incidents", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_roles(client_for: Any) -> None:
    admin, agent, connector = client_for("admin"), client_for("agent"), client_for("connector")
    requester = client_for("requester", "maria", "maria.lopez@example.org")
    assert agent.post("/api/v1/departments", json={"slug": "x", "name": "X"}).status_code == 403
    assert admin.post("/api/v1/departments", json={"slug": "x", "name": "X"}).status_code == 201
    ref = connector.post("/api/v1/incidents", json={"title": "From a machine"}).json["ref"]
    assert agent.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "acknowledged"}).status_code == 200
    forbidden = requester.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"})
    assert forbidden.status_code == 403
    assert forbidden.mimetype == "application/problem+json"


def test_requesters_see_only_their_own_tickets(client_for: Any) -> None:
    agent = client_for("agent")
    maria = client_for("requester", "maria", "maria.lopez@example.org")
    others = agent.post("/api/v1/incidents", json={"title": "Someone else's"}).json["ref"]
    mine = maria.post("/api/v1/incidents", json={"title": "My towels", "assignee": "x", "priority": 1})
    assert mine.status_code == 201, mine.json
    assert mine.json["requester"]["email"] == "maria.lopez@example.org"
    assert mine.json["assignee"] is None and mine.json["priority"] == 3
    by_mail = agent.post("/api/v1/incidents", json={"title": "Phoned in",
                                                    "requester": {"email": "maria.lopez@example.org"}}).json["ref"]
    listed = [item["ref"] for item in maria.get("/api/v1/incidents").json["items"]]
    assert sorted(listed) == sorted([mine.json["ref"], by_mail])
    assert maria.get(f"/api/v1/incidents/{others}").status_code == 404
    agent.post(f"/api/v1/incidents/{by_mail}/comments", json={"body": "internal note", "visibility": "internal"})
    agent.post(f"/api/v1/incidents/{by_mail}/comments", json={"body": "We are on it"})
    assert [c["body"] for c in maria.get(f"/api/v1/incidents/{by_mail}/comments").json] == ["We are on it"]


def test_revoked_expired_and_inactive_tokens_stop_working(app: Flask, runtime: Any) -> None:
    from hub.auth.tokens import create_token, revoke_token
    from hub.auth.users import create_user
    from hub.models import ApiToken

    client = app.test_client()
    with runtime.db.transaction() as session:
        user = create_user(session=session, username="bob", role="agent")
        good, good_row = create_token(session=session, name="good", user=user)
        expired, _ = create_token(session=session, name="old", role="agent",
                                  expires_at=datetime.now(UTC) - timedelta(seconds=1))
        good_id = good_row.id

    def status(token: str) -> int:
        return client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code

    assert status(good) == 200
    assert status(expired) == 401
    with runtime.db.transaction() as session:
        assert session.get(ApiToken, good_id).last_used_at is not None
        revoke_token(session=session, token_id=good_id)
    assert status(good) == 401
    with runtime.db.transaction() as session:
        secret, _ = create_token(session=session, name="third", user=user)
        user.active = False
        session.add(user)
    assert status(secret) == 401


def test_token_cannot_outrank_its_user(runtime: Any) -> None:
    from hub.auth.tokens import create_token
    from hub.auth.users import create_user
    from hub.sdk.tracker_errors import ValidationFailed

    with runtime.db.transaction() as session:
        user = create_user(session=session, username="carol", role="agent")
        with pytest.raises(ValidationFailed):
            create_token(session=session, name="x", role="admin", user=user)
        _, token = create_token(session=session, name="y", role="requester", user=user)
        assert token.role == "requester"


def test_token_cache_honours_revocation_after_its_ttl(app_config: dict) -> None:
    """With caching on, a revoked token stops working once the cache entry is older than the TTL."""
    from hub import create_app
    from hub.auth.tokens import create_token, revoke_token

    app_config["TOKEN_CACHE_SECONDS"] = 0.2
    app = create_app(app_config)
    runtime = app.extensions["hub"]
    with runtime.db.transaction() as session:
        secret, row = create_token(session=session, name="cached", role="agent")
        token_id = row.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    with runtime.db.transaction() as session:
        revoke_token(session=session, token_id=token_id)
    import time

    time.sleep(0.25)
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    runtime.db.dispose()


def test_session_cookie_does_not_open_the_api(app: Flask) -> None:
    client = app.test_client()
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="sam", role="admin")
    with client.session_transaction() as cookie:
        cookie["user"] = {"user_id": 1, "role": "admin", "name": "sam"}
    assert client.get("/api/v1/incidents").status_code == 401
