"""Routing rules name groups, departments, categories, items and users: checked when saved,
kept in step on rename and merge, and a name gone anyway never quarantines a ticket."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from tests.hub.ui.conftest import Browser, add_user
from tests.support.plugin_fixtures import post_event, token_instance

NIGHT = {"name": "night-shift", "when": {"keywords": ["boiler"]}, "set": {"group": "nightshift", "priority": 2}}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("routing", "plugins.routing")]
    return app_config


def save(api: Any, settings: dict[str, Any]) -> Any:
    return api.put("/api/v1/admin/plugins/routing/settings", json={"settings": settings})


@pytest.fixture
def night_rule(api: Any) -> None:
    for slug in ("nightshift", "ops"):
        assert api.post("/api/v1/groups", json={"slug": slug, "name": slug}).status_code == 201
    assert api.patch("/api/v1/admin/plugins/routing", json={"enabled": True}).status_code == 200
    response = save(api, {"rules": [NIGHT], "default_group": "ops"})
    assert response.status_code == 200, response.json


def vanish(app: Flask, model_name: str, slug: str) -> None:
    """Delete a row behind the hub's back (a database edit, a restore), as the admin pages
    would refuse to while a rule names it; the org lookups forget it as a restart would."""
    import hub.models as models
    from hub.tracker.org import forget

    model = getattr(models, model_name)
    with app.extensions["hub"].db.transaction() as session:
        assert session.execute(delete(model).where(model.slug == slug)).rowcount == 1  # type: ignore[attr-defined]
        forget(session)


def test_a_rule_naming_an_unknown_group_cannot_be_saved(api: Any) -> None:
    api.post("/api/v1/groups", json={"slug": "ops", "name": "Ops"})
    response = save(api, {"rules": [
        {"name": "fine", "set": {"group": "ops"}},
        {"name": "typo", "when": {"departments": ["kitchen"], "categories": ["noise"], "cis": ["boiler-1"]},
         "set": {"group": "nightshift", "assignee": "nobody", "department": "spa"}}]})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["errors"] == {
        "settings.rules.1.set.group": ["No group 'nightshift'."],
        "settings.rules.1.set.assignee": ["No user 'nobody'."],
        "settings.rules.1.set.department": ["No department 'spa'."],
        "settings.rules.1.when.departments.0": ["No department 'kitchen'."],
        "settings.rules.1.when.categories.0": ["No category 'noise'."],
        "settings.rules.1.when.cis.0": ["No configuration item 'boiler-1'."]}
    default = save(api, {"rules": [], "default_group": "nowhere"})
    assert default.status_code == 422 and default.json["errors"] == {"settings.default_group": ["No group 'nowhere'."]}
    assert api.get("/api/v1/admin/plugins/routing/settings").json["settings"]["rules"] == []  # nothing stored


def test_the_rule_page_shows_the_unknown_group_beside_its_input(app: Flask, api: Any, night_rule: None) -> None:
    add_user(app, "admin1", "admin")
    admin = Browser(app, "admin1")
    page = admin.post("/admin/routing/rules/new", {
        "name": "late", "when.keywords": "late", "set.group": "graveyard", "set.priority": ""})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    field = html.split('<label for="set-group">', 1)[1].split("</div>", 1)[0]  # the group input's own field
    assert "No group &#39;graveyard&#39;." in field and 'value="graveyard"' in field
    assert [rule["name"] for rule in api.get("/api/v1/admin/plugins/routing/settings").json["settings"]["rules"]] \
        == ["night-shift"]


def test_a_group_deleted_later_sends_tickets_to_the_default_group(app: Flask, api: Any, night_rule: None) -> None:
    secret = token_instance(api, slug="sensors", idempotency_field="id")
    vanish(app, "Group", "nightshift")
    event = post_event(app, secret, {"id": "e1", "title": "Boiler pressure low"}, slug="sensors")
    assert event.status_code in (200, 201, 202), event.json
    assert event.json["status"] == "applied", event.json  # not quarantined
    ticket = api.get(f"/api/v1/incidents/{event.json['ticket']}").json
    assert (ticket["group"], ticket["priority"]) == ("ops", 2)  # the rest of the rule still applies
    assert "routed:night-shift" in ticket["tags"]
    created = api.get(f"/api/v1/incidents/{ticket['ref']}/audit").json[0]
    assert created["action"] == "created"
    assert created["note"] == ("Routing rule night-shift names group 'nightshift', which no longer exists; "
                               "the ticket went to the default group ops.")
    by_api = api.post("/api/v1/incidents", json={"title": "Boiler again"})
    assert by_api.status_code == 201 and by_api.json["group"] == "ops"
    # Without a default group the ticket opens with none.
    response = save(api, {"rules": [NIGHT], "default_group": None})
    assert response.status_code == 200, response.json  # the rule's vanished group was there before: kept
    third = api.post("/api/v1/incidents", json={"title": "Boiler, third time"}).json
    assert third["group"] is None
    note = api.get(f"/api/v1/incidents/{third['ref']}/audit").json[0]["note"]
    assert note.endswith("the ticket has no group (no default group is set).")


def test_the_admin_is_warned_with_the_tickets_counted(app: Flask, api: Any, night_rule: None) -> None:
    add_user(app, "admin1", "admin")
    admin = Browser(app, "admin1")
    assert "no longer exists" not in admin.get("/admin/").get_data(as_text=True)
    vanish(app, "Group", "nightshift")
    for number in range(2):
        assert api.post("/api/v1/incidents", json={"title": f"Boiler {number}"}).status_code == 201
    api.post("/api/v1/incidents", json={"title": "Towels"})  # not routed: not counted
    warning = ("Routing rule night-shift names group &#39;nightshift&#39;, which no longer exists; "
               "2 tickets went to the default group since ")
    overview = admin.get("/admin/").get_data(as_text=True)
    assert warning in overview and 'href="/admin/plugins/routing/settings"' in overview
    assert warning in admin.get("/admin/routing/").get_data(as_text=True)
    # Pointing the rule at a group that exists ends the warning and its count.
    assert save(api, {"rules": [{**NIGHT, "set": {"group": "ops"}}], "default_group": "ops"}).status_code == 200
    assert "no longer exists" not in admin.get("/admin/").get_data(as_text=True)
    api.post("/api/v1/groups", json={"slug": "nightshift", "name": "Night shift"})
    assert save(api, {"rules": [NIGHT], "default_group": "ops"}).status_code == 200
    vanish(app, "Group", "nightshift")
    assert "no ticket has met it yet" in admin.get("/admin/routing/").get_data(as_text=True)


def test_deleting_a_named_group_is_refused_and_a_merge_or_rename_rewrites_the_rule(api: Any,
                                                                                    night_rule: None) -> None:
    refused = api.delete("/api/v1/groups/nightshift")
    assert refused.status_code == 409
    assert refused.json["in_use"] == {"settings": 1}
    assert refused.json["detail"].startswith("Group 'nightshift' is in use: named by routing rule night-shift.")
    renamed = api.patch("/api/v1/groups/nightshift", json={"slug": "nights"})
    assert renamed.status_code == 200, renamed.json
    stored = api.get("/api/v1/admin/plugins/routing/settings").json["settings"]
    assert stored["rules"][0]["set"]["group"] == "nights"
    merged = api.post("/api/v1/groups/nights/merge", json={"into": "ops"})
    assert merged.status_code == 200, merged.json
    assert api.get("/api/v1/admin/plugins/routing/settings").json["settings"]["rules"][0]["set"]["group"] == "ops"
    assert api.post("/api/v1/incidents", json={"title": "Boiler"}).json["group"] == "ops"
    # The default group is a name like the others: ops is in use now twice over.
    assert api.delete("/api/v1/groups/ops").json["in_use"] == {"open_tickets": 1, "settings": 2}


def test_a_category_slug_another_department_keeps_is_not_rewritten(api: Any) -> None:
    for slug in ("kitchen", "spa"):
        api.post("/api/v1/departments", json={"slug": slug, "name": slug})
    first = api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise", "department": "kitchen"}).json
    api.post("/api/v1/categories", json={"slug": "noise", "name": "Noise", "department": "spa"})
    api.post("/api/v1/groups", json={"slug": "ops", "name": "Ops"})
    rule = {"name": "noise", "when": {"categories": ["noise"]}, "set": {"group": "ops"}}
    assert save(api, {"rules": [rule]}).status_code == 200
    assert api.patch(f"/api/v1/categories/{first['id']}", json={"slug": "clatter"}).status_code == 200
    # spa's category is still called noise: the rule still means it.
    assert api.get("/api/v1/admin/plugins/routing/settings").json["settings"]["rules"][0]["when"]["categories"] \
        == ["noise"]
