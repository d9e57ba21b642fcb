"""register_menu_items."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.hookspecs import hookimpl
from hub.ui.menu import MenuItem


def test_hook_register_menu_items(with_plugins: Any, request: Any) -> None:
    class Reports:
        name = "reports"

        @hookimpl
        def register_blueprints(self) -> list[Blueprint]:
            bp = Blueprint("reports_pages", __name__)
            bp.add_url_rule("/reports", "index", lambda: "reports")
            return [bp]

        @hookimpl
        def register_menu_items(self) -> list[MenuItem]:
            return [MenuItem("Reports", "reports_pages.index", "tickets:read", key="r", order=50),
                    MenuItem("Secret", "reports_pages.index", "admin", order=51),
                    MenuItem("Missing", "nowhere.index", None)]

    with_plugins(Reports())
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="ann", role="agent", password="correct horse battery")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user"] = {"user_id": 2, "role": "agent", "name": "ann"}
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/reports"' in html and 'data-key="r"' in html
    assert "Secret" not in html and "Missing" not in html
    api.patch("/api/v1/admin/plugins/reports", json={"enabled": False})
    assert 'href="/reports"' not in client.get("/", follow_redirects=True).get_data(as_text=True)
