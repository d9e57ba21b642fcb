"""Requesters see an agent's display name or the team's name, never a login (HUB_REQUESTER_SEES)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.auth.users import get_user
from hub.models import OutboxMessage
from hub.sdk.actors import Actor
from hub.tracker.comments import add_comment
from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket


def _agent(app: Any, client_for: Any, username: str, display_name: str) -> Any:
    client = client_for("agent", username, f"{username}@hub.test")
    with app.extensions["hub"].db.transaction() as session:
        get_user(session, username).display_name = display_name
    return client


def _status_page(app: Any, ref: str) -> str:
    with app.extensions["hub"].db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
    return app.test_client().get(f"/s/{token}").get_data(as_text=True)


def _ticket(api: Any, **values: Any) -> str:
    body = {"title": "No hot water in room 12", "requester": {"name": "Omar", "email": "omar@example.org"}, **values}
    response = api.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.json
    return str(response.json["ref"])


def test_the_status_page_names_the_agent_by_display_name(app: Any, api: Any, client_for: Any) -> None:
    maria = _agent(app, client_for, "mweber", "Maria Weber")
    nameless = _agent(app, client_for, "jdoe7", "")
    ref = _ticket(api)
    maria.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A plumber comes at 14:00."})
    nameless.post(f"/api/v1/incidents/{ref}/comments", json={"body": "The plumber is here."})
    with app.extensions["hub"].db.transaction() as session:  # a reply synced from another system
        add_comment(session=session, ticket=get_ticket(session, ref), body="Parts ordered.",
                    actor=Actor(type="connector", name="rt-root", origin="connector:rt", role="connector"))
    page = _status_page(app, ref)
    assert "Maria Weber" in page
    assert "The support team" in page  # the agent without a display name, and the synced reply
    for login in ("mweber", "jdoe7", "rt-root", "alice"):
        assert login not in page


@pytest.fixture
def team_app(app_config: dict[str, Any]) -> Any:
    from hub import create_app

    app_config.update(REQUESTER_SEES="team", TEAM_NAME="Guest care")
    app = create_app(app_config)
    yield app
    app.extensions["hub"].db.dispose()


def test_with_requester_sees_team_the_group_or_the_team_name_is_shown(team_app: Any) -> None:
    from tests.conftest import ApiClient, make_token

    app = team_app
    api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))

    def client_for(role: str, username: str, email: str) -> Any:
        return ApiClient(app.test_client(), make_token(app, role, username, email))

    maria = _agent(app, client_for, "mweber", "Maria Weber")
    assert api.post("/api/v1/groups", json={"slug": "front-desk", "name": "Front desk"}).status_code == 201
    grouped, loose = _ticket(api, group="front-desk"), _ticket(api)
    for ref in (grouped, loose):
        maria.post(f"/api/v1/incidents/{ref}/comments", json={"body": "On it."})
    assert "Front desk" in _status_page(app, grouped) and "Maria Weber" not in _status_page(app, grouped)
    assert "Guest care" in _status_page(app, loose)
    assert "mweber" not in _status_page(app, loose)


EMAIL = {"host": "127.0.0.1", "username": "care", "password": "x", "security": "plain", "smtp_host": "127.0.0.1",
         "from_address": "care@hotel.example"}


def test_the_comment_mail_names_the_display_name_not_the_login(app_config: dict[str, Any], tmp_path: Any) -> None:
    from hub import create_app
    from tests.conftest import ApiClient, make_token

    app_config.update(REQUESTER_SEES="agent", PLUGINS=[("email", "connectors.email"), ("notify", "plugins.notify")])
    app = create_app(app_config)
    try:
        api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
        assert api.post("/api/v1/admin/instances", json={"connector": "email", "slug": "care", "enabled": True,
                                                          "config": EMAIL}).status_code == 201
        api.patch("/api/v1/admin/plugins/notify", json={"enabled": True})
        maria = ApiClient(app.test_client(), make_token(app, "agent", "mweber", "mweber@hub.test"))
        with app.extensions["hub"].db.transaction() as session:
            get_user(session, "mweber").display_name = "Maria Weber"
        ref = _ticket(api)
        assert maria.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Fixed."}).status_code == 201
        with app.extensions["hub"].db.reading() as session:
            bodies = [str(message.payload.get("body")) for message in session.scalars(
                select(OutboxMessage).where(OutboxMessage.action == "mail"))]
        comment_mail = next(body for body in bodies if "Fixed." in body)
        assert "Maria Weber wrote" in comment_mail and "mweber" not in comment_mail
    finally:
        app.extensions["hub"].db.dispose()
