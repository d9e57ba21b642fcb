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


def test_a_menu_entry_shows_its_count_and_a_failing_count_costs_nothing(with_plugins: Any, request: Any) -> None:
    def broken(principal: Any) -> int:
        raise RuntimeError("the count's query failed")

    class Inbox:
        name = "inbox"

        @hookimpl
        def register_blueprints(self) -> list[Blueprint]:
            bp = Blueprint("inbox_pages", __name__)
            bp.add_url_rule("/inbox", "index", lambda: "inbox")
            bp.add_url_rule("/broken", "broken", lambda: "broken")
            bp.add_url_rule("/zero", "zero", lambda: "zero")
            return [bp]

        @hookimpl
        def register_menu_items(self) -> list[MenuItem]:
            return [MenuItem("Inbox", "inbox_pages.index", "tickets:read",
                             badge=lambda principal: 7 if principal.name == "ann" else 0),
                    MenuItem("Broken", "inbox_pages.broken", "tickets:read", badge=broken),
                    MenuItem("Zero", "inbox_pages.zero", "tickets:read", badge=lambda principal: 0)]

    with_plugins(Inbox())
    app = request.getfixturevalue("app")
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="ann", role="agent", password="correct horse battery")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user"] = {"user_id": 1, "role": "agent", "name": "ann"}
    response = client.get("/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '>Inbox <span class="count">7<span class="sr-only"> unread</span></span></a>' in html
    assert ">Broken</a>" in html and ">Zero</a>" in html
