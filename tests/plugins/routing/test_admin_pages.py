"""The routing rules page: rules edited with form fields, checked by the plugin's schema, then applied."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.hub.ui.conftest import Browser, add_user
from tests.plugins.routing.test_routing import RULES

PAGES = ("/admin/routing/", "/admin/routing/rules/new", "/admin/routing/rules/1")


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
    app_config["PLUGINS"] = [("routing", "plugins.routing")]
    return app_config


@pytest.fixture
def stored_rules(app: Flask, api: Any) -> None:
    add_user(app, "lena", "agent")  # rule 2 assigns to her: a user who does not exist is refused
    for slug in ("maintenance", "line-techs", "front-desk", "spa"):
        assert api.post("/api/v1/groups", json={"slug": slug, "name": slug}).status_code == 201
    for slug in ("spa", "wellness"):  # the new rule's categories: names of nothing are refused
        assert api.post("/api/v1/categories", json={"slug": slug, "name": slug}).status_code == 201
    response = api.put("/api/v1/admin/plugins/routing/settings", json={"settings": RULES})
    assert response.status_code == 200, response.json


def rules(app: Flask) -> list[dict[str, Any]]:
    from hub.plugins.admin import effective_settings

    app.extensions["hub"].caches.get("plugin_settings", {}).clear()
    with app.extensions["hub"].db.reading() as session:
        return list(effective_settings(session, "routing")["rules"])


def names(app: Flask) -> list[str]:
    return [rule["name"] for rule in rules(app)]


def rule(**values: Any) -> dict[str, Any]:
    return {"name": "spa-complaints", "when.departments": "", "when.categories": "spa, wellness",
            "when.sources": "api", "when.cis": "", "when.kinds": ["incident"], "when.keywords": "sauna, massage",
            "when.fields": "labels.area = spa\n\n  guest.vip = yes ", "set.group": "spa", "set.assignee": "",
            "set.priority": "2", "set.department": "", "set.tags": "spa, guest", **values}


@pytest.mark.parametrize("url", PAGES)
def test_the_pages_are_for_admins_only(app: Flask, as_role: Any, stored_rules: None, url: str) -> None:
    assert as_role("admin").get(url).status_code == 200
    for role in ("agent", "requester"):
        response = as_role(role).get(url)
        assert response.status_code == 403 and "cannot open this page" in response.get_data(as_text=True)
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_writes_need_an_admin_and_the_csrf_token(app: Flask, as_role: Any, stored_rules: None) -> None:
    agent, admin = as_role("agent"), as_role("admin")
    before = rules(app)
    for url, data in (("/admin/routing/rules/new", rule()), ("/admin/routing/rules/1", rule()),
                      ("/admin/routing/rules/1/move", {"direction": "down"}), ("/admin/routing/rules/1/delete", {})):
        assert agent.post(url, data).status_code == 403, url
        refused = admin.post(url, data, csrf=False)
        assert refused.status_code == 400 and "did not come from this site" in refused.get_data(as_text=True), url
    assert rules(app) == before


def test_the_list_and_the_form_show_rules_without_json(app: Flask, as_role: Any,
                                                       stored_rules: None) -> None:
    admin = as_role("admin")
    html = admin.text("/admin/routing/")
    assert re.findall(r'aria-label="Edit the rule ([^"]+)"', html) == [
        "boiler-to-maintenance", "line-critical", "everything-else-front-desk"]
    assert "mentions any of boiler, heating" in html and "labels.severity = critical" in html
    assert "assignment group line-techs" in html and "tags heating" in html and 'href="/admin/routing/"' in html
    form = admin.text("/admin/routing/rules/2")
    for input_id in ("name", "when-departments", "when-categories", "when-sources", "when-cis", "when-keywords",
                     "when-fields", "when-kind-incident", "set-group", "set-assignee", "set-department",
                     "set-priority", "set-tags", "continue"):
        assert f'for="{input_id}"' in form and f'id="{input_id}"' in form, input_id
    assert 'value="line3"' in form and ">labels.severity = critical</textarea>" in form
    assert '<option value="1" selected>P1</option>' in form and 'value="lena"' in form
    assert "Known: front-desk, line-techs, maintenance, spa." in form


def test_add_edit_move_and_delete_round_trip(app: Flask, as_role: Any, stored_rules: None) -> None:
    admin = as_role("admin")
    added = admin.post("/admin/routing/rules/new", rule())
    assert added.status_code == 302 and added.headers["Location"].endswith("/admin/routing/#rule-4")
    assert rules(app)[-1] == {
        "name": "spa-complaints", "continue_": False,
        "when": {"departments": [], "categories": ["spa", "wellness"], "sources": ["api"], "cis": [],
                 "kinds": ["incident"], "keywords": ["sauna", "massage"],
                 "fields_": {"labels.area": "spa", "guest.vip": "yes"}},
        "set": {"group": "spa", "assignee": None, "priority": 2, "department": None, "tags": ["spa", "guest"]}}
    for position in (4, 3, 2):
        assert admin.post(f"/admin/routing/rules/{position}/move",
                          {"direction": "up", "expect": "spa-complaints"}).status_code == 302
    assert names(app) == ["spa-complaints", "boiler-to-maintenance", "line-critical", "everything-else-front-desk"]
    edited = admin.post("/admin/routing/rules/1", rule(**{"continue": "on", "when.fields": "", "set.priority": "",
                                                          "expect": "spa-complaints"}))
    assert edited.status_code == 302
    first = rules(app)[0]
    assert first["continue_"] is True and first["when"]["fields_"] == {} and first["set"]["priority"] is None
    assert admin.post("/admin/routing/rules/3/move", {"direction": "down", "expect": "line-critical"}).status_code \
        == 302
    done = admin.post("/admin/routing/rules/4/delete", {"expect": "line-critical"}, follow=True)
    assert "Deleted the rule line-critical." in done.get_data(as_text=True)
    assert names(app) == ["spa-complaints", "boiler-to-maintenance", "everything-else-front-desk"]


def test_rules_from_the_page_route_new_tickets(app: Flask, api: Any, as_role: Any,
                                               stored_rules: None) -> None:
    admin = as_role("admin")
    admin.post("/admin/routing/rules/new", rule(**{"when.fields": "", "when.categories": "", "continue": "on"}))
    admin.post("/admin/routing/rules/4/move", {"direction": "up", "expect": "spa-complaints"})
    admin.post("/admin/routing/rules/3/move", {"direction": "up", "expect": "spa-complaints"})
    admin.post("/admin/routing/rules/2/move", {"direction": "up", "expect": "spa-complaints"})
    ticket = api.post("/api/v1/incidents", json={"title": "The sauna is cold, and the heating too"}).json
    assert "routed:spa-complaints" in ticket["tags"] and "routed:boiler-to-maintenance" in ticket["tags"]
    assert (ticket["group"], ticket["priority"]) == ("maintenance", 2) and "spa" in ticket["tags"]


def test_a_stale_page_changes_nothing(app: Flask, as_role: Any, stored_rules: None) -> None:
    admin = as_role("admin")
    before = rules(app)
    response = admin.post("/admin/routing/rules/1/delete", {"expect": "line-critical"}, follow=True)
    assert "changed while you had the page open" in response.get_data(as_text=True)
    assert admin.post("/admin/routing/rules/2", rule(expect="boiler-to-maintenance")).status_code == 302
    assert rules(app) == before


@pytest.mark.parametrize(("values", "input_id", "message"), [
    ({"name": ""}, "name", "Give the rule a name"),
    ({"name": "Spa Complaints"}, "name", "Lower-case letters, digits and dashes."),
    ({"name": "line-critical"}, "name", "Another rule is called line-critical already"),
    ({"set.priority": "7"}, "set-priority", "Must be greater than or equal to 1 and less than or equal to 5."),
    ({"when.fields": "labels.area = spa\nno equals sign"}, "when-fields", "Line 2: write path = value"),
    ({"when.kinds": ["puzzle"]}, "when-kinds", "Must be one of: incident, change, problem."),
])
def test_bad_input_is_explained_on_the_page(app: Flask, as_role: Any, stored_rules: None, values: dict[str, Any],
                                            input_id: str, message: str) -> None:
    admin = as_role("admin")
    before = rules(app)
    response = admin.post("/admin/routing/rules/new", rule(**values))
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert "There is a problem" in html and message in html
    assert f'<p class="field-error" id="{input_id}-error">' in html
    assert 'value="sauna, massage"' in html  # what was typed stays
    assert rules(app) == before


def test_unknown_positions_are_404(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    assert "No rules" in admin.text("/admin/routing/")
    assert admin.get("/admin/routing/rules/1").status_code == 404
    assert admin.post("/admin/routing/rules/1/move", {"direction": "up"}).status_code == 404
