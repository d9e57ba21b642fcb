"""The SLA policies page: policies edited with form fields, checked by the plugin's schema."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.hub.ui.conftest import Browser, add_user

PAGES = ("/admin/sla/", "/admin/sla/policies/new", "/admin/sla/policies/1")
CALENDAR = {"name": "office", "timezone": "Europe/Berlin", "hours": {"mon": "09:00-17:00"},
            "holidays": ["2026-12-25"]}


@pytest.fixture
def as_role(app: Flask) -> Any:
    """``as_role("agent")``: a browser signed in as a new user with that role, as in tests/hub/ui."""
    made: dict[str, Browser] = {}

    def build(role: str) -> Browser:
        if role not in made:
            add_user(app, f"{role}1", role)
            made[role] = Browser(app, f"{role}1")
        return made[role]

    return build


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("sla", "plugins.sla")]
    return app_config


def settings(app: Flask) -> dict[str, Any]:
    from hub.plugins.admin import effective_settings

    app.extensions["hub"].caches.get("plugin_settings", {}).clear()
    with app.extensions["hub"].db.reading() as session:
        return effective_settings(session, "sla")


def names(app: Flask) -> list[str]:
    return [policy["name"] for policy in settings(app)["policies"]]


def policy(**values: Any) -> dict[str, Any]:
    return {"name": "VIP guests", "priorities": ["1", "2"], "kinds": ["incident"], "departments": "front-desk, spa",
            "response_minutes": "30", "resolution_minutes": "240", "calendar": "always", "warn_at": "0.75",
            "escalation.mail_to": "duty@hotel.example\nmanager@hotel.example", "escalation.raise_priority": "on",
            "escalation.reassign_group": "", **values}


@pytest.fixture
def with_calendar(api: Any) -> None:
    for slug in ("front-desk", "spa"):  # the new policy's departments: names of nothing are refused
        assert api.post("/api/v1/departments", json={"slug": slug, "name": slug}).status_code == 201
    response = api.put("/api/v1/admin/plugins/sla/settings", json={"settings": {"calendars": [CALENDAR]}})
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("url", PAGES)
def test_the_pages_are_for_admins_only(app: Flask, as_role: Any, url: str) -> None:
    assert as_role("admin").get(url).status_code == 200
    for role in ("agent", "requester"):
        response = as_role(role).get(url)
        assert response.status_code == 403 and "cannot open this page" in response.get_data(as_text=True)
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_writes_need_an_admin_and_the_csrf_token(app: Flask, as_role: Any) -> None:
    agent, admin = as_role("agent"), as_role("admin")
    before = settings(app)
    for url, data in (("/admin/sla/policies/new", policy()), ("/admin/sla/policies/1", policy()),
                      ("/admin/sla/policies/1/move", {"direction": "down"}), ("/admin/sla/policies/1/delete", {})):
        assert agent.post(url, data).status_code == 403, url
        refused = admin.post(url, data, csrf=False)
        assert refused.status_code == 400 and "did not come from this site" in refused.get_data(as_text=True), url
    assert settings(app) == before


def test_the_list_shows_the_default_policies_in_order(app: Flask, as_role: Any) -> None:
    html = as_role("admin").text("/admin/sla/")
    assert re.findall(r'aria-label="Edit the policy ([^"]+)"', html) == ["P1", "P2", "P3", "P4", "P5"]
    assert "15 min" in html and "240 min (4 h)" in html and "7200 min (5 d)" in html and "priority 1" in html
    assert 'aria-label="Move P1 up" disabled' in html and 'aria-label="Move P5 down" disabled' in html
    assert 'href="/admin/plugins/sla/settings"' in html  # calendars stay on the generic page
    assert 'href="/admin/sla/"' in html  # the main menu entry


def test_the_form_has_labelled_fields_not_json(app: Flask, as_role: Any, with_calendar: None) -> None:
    html = as_role("admin").text("/admin/sla/policies/2")
    for input_id in ("name", "departments", "response_minutes", "resolution_minutes", "calendar", "warn_at",
                     "escalation-mail_to", "escalation-reassign_group", "escalation-raise_priority",
                     "escalation-on_warning", "priority-1", "kind-incident"):
        assert f'for="{input_id}"' in html and f'id="{input_id}"' in html, input_id
    assert re.search(r'id="priority-2" name="priorities" value="2" checked', html)
    assert not re.search(r'id="priority-1" name="priorities" value="1" checked', html)
    assert 'value="60"' in html and 'value="480"' in html and '<option value="office">' in html
    assert html.count("<legend>") >= 5 and "{" not in re.sub(r"<[^>]+>", "", html.split("<form", 2)[2])


def test_add_edit_move_and_delete_round_trip(app: Flask, as_role: Any, with_calendar: None) -> None:
    admin = as_role("admin")
    added = admin.post("/admin/sla/policies/new", policy(calendar="office"))
    assert added.status_code == 302 and added.headers["Location"].endswith("/admin/sla/#policy-6")
    assert settings(app)["policies"][-1] == {
        "name": "VIP guests", "priorities": [1, 2], "departments": ["front-desk", "spa"], "kinds": ["incident"],
        "response_minutes": 30, "resolution_minutes": 240, "calendar": "office", "warn_at": 0.75,
        "escalation": {"mail_to": ["duty@hotel.example", "manager@hotel.example"], "raise_priority": True,
                       "reassign_group": None, "on_warning": False}}
    assert settings(app)["calendars"][0]["name"] == "office"  # the rest of the settings is kept
    for _ in range(5):
        admin.post("/admin/sla/policies/6/move", {"direction": "up", "expect": "VIP guests"})
        admin.post(f"/admin/sla/policies/{names(app).index('VIP guests') + 1}/move",
                   {"direction": "up", "expect": "VIP guests"})
    assert names(app) == ["VIP guests", "P1", "P2", "P3", "P4", "P5"]
    edited = admin.post("/admin/sla/policies/3", policy(name="P2 (office hours)", priorities=["2"], kinds=[],
                                                        departments="", response_minutes="", warn_at="",
                                                        **{"escalation.mail_to": "", "expect": "P2"}))
    assert edited.status_code == 302
    p2 = settings(app)["policies"][2]
    assert (p2["name"], p2["priorities"], p2["departments"], p2["kinds"], p2["response_minutes"], p2["warn_at"]) == \
        ("P2 (office hours)", [2], [], [], None, 0.8)
    done = admin.post("/admin/sla/policies/6/delete", {"expect": "P5"}, follow=True)
    assert "Deleted the policy P5." in done.get_data(as_text=True)
    assert names(app) == ["VIP guests", "P1", "P2 (office hours)", "P3", "P4"]


def test_a_stale_page_changes_nothing(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    response = admin.post("/admin/sla/policies/2/delete", {"expect": "P1"}, follow=True)
    assert "changed while you had the page open" in response.get_data(as_text=True)
    assert names(app) == ["P1", "P2", "P3", "P4", "P5"]
    assert admin.post("/admin/sla/policies/2", policy(expect="P3")).status_code == 302
    assert names(app) == ["P1", "P2", "P3", "P4", "P5"]


@pytest.mark.parametrize(("values", "input_id", "message"), [
    ({"name": ""}, "name", "Give the policy a name"),
    ({"response_minutes": "soon"}, "response_minutes", "Not a valid integer."),
    ({"resolution_minutes": "0"}, "resolution_minutes", "Must be greater than or equal to 1"),
    ({"warn_at": "1.5"}, "warn_at", "Must be greater than or equal to 0.1 and less than or equal to 0.99."),
    ({"priorities": ["9"]}, "priorities", "Must be greater than or equal to 1"),
    ({"escalation.mail_to": "duty@hotel.example, not-an-address"}, "escalation-mail_to", "Not a valid email address."),
    ({"calendar": "night-shift"}, None, "Unknown calendars: night-shift."),
])
def test_bad_input_is_explained_on_the_page(app: Flask, as_role: Any, values: dict[str, Any], input_id: str | None,
                                            message: str) -> None:
    admin = as_role("admin")
    before = settings(app)
    response = admin.post("/admin/sla/policies/new", policy(**values))
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert "There is a problem" in html and message in html
    if input_id:
        assert f'<p class="field-error" id="{input_id}-error">' in html
    assert 'value="front-desk, spa"' in html  # what was typed stays
    assert settings(app) == before


def test_unknown_positions_are_404(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    assert admin.get("/admin/sla/policies/9").status_code == 404
    assert admin.post("/admin/sla/policies/0/delete").status_code == 404


def test_switched_off_the_pages_are_gone(app: Flask, api: Any, as_role: Any) -> None:
    assert api.patch("/api/v1/admin/plugins/sla", json={"enabled": False}).status_code == 200
    admin = as_role("admin")
    assert admin.get("/admin/sla/").status_code == 404
    assert 'href="/admin/sla/"' not in admin.text("/admin/")
