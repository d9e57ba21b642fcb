"""Status links can be revoked by an admin (page, API, command) and expire after close (D17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket
from tests.hub.ui.conftest import Browser, add_user


def _ticket_with_link(api: Any, runtime: Any) -> tuple[str, str]:
    ref = api.post("/api/v1/incidents", json={"title": "Heating off in hall B", "requester": {
        "name": "Lena", "email": "lena@example.org"}}).json["ref"]
    with runtime.db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
    return ref, f"/s/{token}"


def _opens(app: Flask, link: str) -> int:
    return int(app.test_client().get(link).status_code)


def test_an_admin_revokes_a_link_through_the_api(app: Flask, api: Any, runtime: Any, client_for: Any) -> None:
    ref, link = _ticket_with_link(api, runtime)
    assert client_for("agent").post(f"/api/v1/admin/tickets/{ref}/status-links/revoke").status_code == 403
    done = api.post(f"/api/v1/admin/tickets/{ref}/status-links/revoke")
    assert done.status_code == 200 and done.json == {"ticket": ref, "revoked": 1, "expires_at": None}
    assert _opens(app, link) == 404
    history = api.get(f"/api/v1/incidents/{ref}/audit").json
    assert any(event["action"] == "status_links_revoked" for event in history)
    again = api.post(f"/api/v1/admin/tickets/{ref}/status-links/revoke")
    assert again.json["revoked"] == 0
    missing = api.post("/api/v1/admin/tickets/INC-999999/status-links/revoke")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    with runtime.db.transaction() as session:  # the next mail gets a new, working link
        fresh = status_token(session, get_ticket(session, ref))
    assert _opens(app, f"/s/{fresh}") == 200


def test_an_admin_revokes_a_link_from_the_ticket_page(app: Flask, api: Any, runtime: Any) -> None:
    ref, link = _ticket_with_link(api, runtime)
    add_user(app, "agent7", "agent")
    assert "Revoke status link" not in Browser(app, "agent7").text(f"/tickets/{ref}")
    assert Browser(app, "agent7").post(f"/tickets/{ref}/status-links/revoke").status_code == 403
    add_user(app, "admin7", "admin")
    admin = Browser(app, "admin7")
    assert "Revoke status link" in admin.text(f"/tickets/{ref}")
    page = admin.post(f"/tickets/{ref}/status-links/revoke", follow=True).get_data(as_text=True)
    assert f"Revoked the status link of {ref}" in page
    assert _opens(app, link) == 404


def test_the_command_revokes_a_link(app: Flask, api: Any, runtime: Any, app_config: dict[str, Any]) -> None:
    from hub.cli import HubContext, get_cli

    ref, link = _ticket_with_link(api, runtime)
    context = HubContext(app_config)
    try:
        result = CliRunner().invoke(get_cli(), ["status-links", "revoke", ref.lower()], obj=context)
        assert result.exit_code == 0 and f"Revoked 1 status link(s) of {ref}." in result.output
        unknown = CliRunner().invoke(get_cli(), ["status-links", "revoke", "INC-999999"], obj=context)
        assert unknown.exit_code == 1 and "No ticket INC-999999" in unknown.output
    finally:
        context.close()
    assert _opens(app, link) == 404


@pytest.mark.parametrize(("days_after_close", "status"), [(89, 200), (91, 404)])
def test_links_stop_opening_ninety_days_after_close(app: Flask, api: Any, runtime: Any, days_after_close: int,
                                                   status: int) -> None:
    ref, link = _ticket_with_link(api, runtime)
    for step in ("resolved", "closed"):
        assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": step}).status_code == 200
    assert _opens(app, link) == 200
    closed = datetime.fromisoformat(api.get(f"/api/v1/incidents/{ref}").json["closed_at"])
    runtime.clock = lambda: closed + timedelta(days=days_after_close)
    assert _opens(app, link) == status


def test_open_tickets_keep_their_links_and_zero_days_keeps_them_for_ever(app: Flask, api: Any, runtime: Any) -> None:
    ref, link = _ticket_with_link(api, runtime)
    runtime.clock = lambda: datetime.now(UTC) + timedelta(days=400)
    assert _opens(app, link) == 200  # not closed: no expiry
    runtime.clock = lambda: datetime.now(UTC)
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "cancelled"})
    runtime.settings["STATUS_LINK_DAYS"] = 0
    runtime.clock = lambda: datetime.now(UTC) + timedelta(days=4000)
    assert _opens(app, link) == 200
