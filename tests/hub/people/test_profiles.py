"""Display names, time zones and languages: set by the user, by an admin (pages, API, CLI), checked alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from hub.auth.profile import profile_problems, update_profile
from hub.auth.users import create_user, get_user
from hub.cli import HubContext, get_cli
from hub.sdk.tracker_errors import ValidationFailed
from tests.hub.ui.conftest import open_ticket


def test_profile_values_are_checked_with_a_reason() -> None:
    assert profile_problems({"timezone": "Europe/Berlin", "language": "fr-CH", "display_name": "Ada"}) == {}
    problems = profile_problems({"timezone": "Mars/Olympus", "language": "french!", "display_name": "A\nB",
                                 "role": "admin"})
    assert "Mars/Olympus" in problems["timezone"][0] and "Europe/Berlin" in problems["timezone"][0]
    assert "french!" in problems["language"][0]
    assert "line breaks" in problems["display_name"][0]
    assert "Not a profile field" in problems["role"][0]
    assert "display_name" in profile_problems({"display_name": "x" * 201})


def test_a_new_user_has_utc_english_and_no_display_name_unless_given(session: Any) -> None:
    plain = create_user(session=session, username="plain", role="agent")
    assert (plain.timezone, plain.language, plain.display_name) == ("UTC", "en", "")
    with pytest.raises(ValidationFailed):
        create_user(session=session, username="bad", role="agent", timezone="Nowhere/Atall")
    berlin = create_user(session=session, username="maria", role="agent", display_name=" Maria Weber ",
                         timezone="Europe/Berlin", language="de")
    assert (berlin.display_name, berlin.timezone, berlin.language) == ("Maria Weber", "Europe/Berlin", "de")
    assert update_profile(session=session, user=berlin, values={"timezone": "Europe/Berlin"}) == {}


def test_own_profile_through_the_api(client_for: Any) -> None:
    maria = client_for("agent", "maria", "maria@hub.test")
    assert maria.get("/api/v1/me").json["timezone"] == "UTC"
    changed = maria.patch("/api/v1/me", json={"display_name": "Maria Weber", "timezone": "Europe/Berlin",
                                               "language": "de"})
    assert changed.status_code == 200, changed.json
    assert changed.json == {"username": "maria", "display_name": "Maria Weber", "email": "maria@hub.test",
                            "role": "agent", "timezone": "Europe/Berlin", "language": "de", "active": True}
    bad = maria.patch("/api/v1/me", json={"timezone": "Berlin"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "Berlin" in bad.json["errors"]["timezone"][0]
    assert maria.patch("/api/v1/me", json={"role": "admin"}).status_code == 422  # only profile fields
    bare = client_for("agent")  # a token made for no user has no profile
    refused = bare.get("/api/v1/me")
    assert refused.status_code == 409 and "no user" in refused.json["detail"]


def test_admins_manage_profiles_through_the_api(api: Any, client_for: Any) -> None:
    client_for("agent", "tom", "tom@hub.test")
    listed = api.get("/api/v1/admin/users").json
    assert {"alice", "tom"} <= {user["username"] for user in listed}
    changed = api.patch("/api/v1/admin/users/tom", json={"display_name": "Tom Baker", "timezone": "America/Chicago"})
    assert changed.status_code == 200 and changed.json["timezone"] == "America/Chicago"
    assert api.patch("/api/v1/admin/users/nobody", json={"language": "de"}).status_code == 404
    agent = client_for("agent", "ann", "ann@hub.test")
    assert agent.patch("/api/v1/admin/users/tom", json={"display_name": "Mallory"}).status_code == 403


def test_the_profile_page_sets_the_zone_every_agent_page_shows_times_in(app: Any, as_role: Any) -> None:
    agent = as_role("agent", "maria")
    page = agent.text("/profile")
    assert 'name="timezone"' in page and "Europe/Berlin" in page and "English for now" in page
    refused = agent.post("/profile", {"display_name": "Maria", "timezone": "Mars/Olympus", "language": "en"})
    assert refused.status_code == 422 and "Mars/Olympus" in refused.get_data(as_text=True)
    saved = agent.post("/profile", {"display_name": "Maria Weber", "timezone": "Europe/Berlin", "language": "de"},
                       follow=True)
    assert "Saved your profile." in saved.get_data(as_text=True)

    runtime = app.extensions["hub"]
    runtime.clock = lambda: datetime(2026, 7, 1, 8, 5, tzinfo=UTC)  # summer: Berlin is UTC+2
    ref = open_ticket(app)
    page = agent.text(f"/tickets/{ref}")
    assert '<time datetime="2026-07-01T08:05:00Z" title="2026-07-01 08:05:00 UTC">2026-07-01 10:05 CEST</time>' in page
    listing = agent.text("/tickets")
    assert "2026-07-01 10:05 CEST" in listing and "08:05 UTC" not in re.sub(r'title="[^"]*"', "", listing)


def test_an_admin_sets_a_users_profile_on_the_users_page(app: Any, as_role: Any) -> None:
    admin = as_role("admin", "root")
    as_role("agent", "maria")
    with app.extensions["hub"].db.reading() as session:
        user_id = get_user(session, "maria").id
    page = admin.text("/admin/users")
    assert page.count('<datalist id="zone-names">') == 1  # one list of zones, however many users
    done = admin.post(f"/admin/users/{user_id}/profile", {"display_name": "Maria Weber", "timezone": "Asia/Tokyo",
                                                          "language": "ja"}, follow=True)
    assert "Saved the profile of maria." in done.get_data(as_text=True)
    bad = admin.post(f"/admin/users/{user_id}/profile", {"timezone": "Tokyo"}, follow=True)
    assert "Tokyo" in bad.get_data(as_text=True) and bad.status_code == 200
    with app.extensions["hub"].db.reading() as session:
        maria = get_user(session, "maria")
        assert (maria.display_name, maria.timezone, maria.language) == ("Maria Weber", "Asia/Tokyo", "ja")


def test_the_cli_creates_and_changes_profiles(app_config: dict[str, Any], app: Any) -> None:
    runner = CliRunner()

    def run(*args: str) -> Any:
        context = HubContext(app_config)
        try:
            return runner.invoke(get_cli(), list(args), obj=context, catch_exceptions=False)
        finally:
            context.close()

    made = run("users", "create", "--username", "maria", "--role", "agent", "--no-password", "--name", "Maria",
               "--timezone", "Europe/Vienna", "--language", "de")
    assert made.exit_code == 0, made.output
    assert "Europe/Vienna" in run("users", "list").output
    changed = run("users", "set-profile", "maria", "--timezone", "Europe/Lisbon")
    assert changed.exit_code == 0 and "timezone 'Europe/Vienna' -> 'Europe/Lisbon'" in changed.output
    bad = run("users", "set-profile", "maria", "--timezone", "Lisbon")
    assert bad.exit_code == 1 and "Lisbon" in bad.output and "Traceback" not in bad.output
    assert run("users", "set-profile", "maria").exit_code == 2
