"""Routing rules on tickets from the API and from a webhook's events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.plugin_fixtures import post_event, token_instance

RULES = {"rules": [
    {"name": "boiler-to-maintenance", "when": {"keywords": ["boiler", "heating"]},
     "set": {"group": "maintenance", "priority": 2, "tags": ["heating"]}},
    {"name": "line-critical", "when": {"sources": ["line3"], "fields": {"labels.severity": "critical"}},
     "set": {"group": "line-techs", "assignee": "lena", "priority": 1}},
    {"name": "everything-else-front-desk", "when": {"sources": ["api"]}, "set": {"group": "front-desk"}},
]}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("routing", "plugins.routing")]
    return app_config


@pytest.fixture
def routed(app: Any, api: Any) -> None:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="lena", role="agent")
    for slug in ("maintenance", "line-techs", "front-desk"):
        assert api.post("/api/v1/groups", json={"slug": slug, "name": slug}).status_code == 201
    assert api.patch("/api/v1/admin/plugins/routing", json={"enabled": True}).status_code == 200
    response = api.put("/api/v1/admin/plugins/routing/settings", json={"settings": RULES})
    assert response.status_code == 200, response.json


def test_the_first_matching_rule_sets_the_fields_and_is_recorded(api: Any, routed: None) -> None:
    ticket = api.post("/api/v1/incidents", json={"title": "Room 12: the HEATING is off"}).json
    assert (ticket["group"], ticket["priority"]) == ("maintenance", 2)
    assert "heating" in ticket["tags"] and "routed:boiler-to-maintenance" in ticket["tags"]
    assert "routed:everything-else-front-desk" not in ticket["tags"]  # the first match is the last
    other = api.post("/api/v1/incidents", json={"title": "Towels missing"}).json
    assert other["group"] == "front-desk" and "routed:everything-else-front-desk" in other["tags"]


def test_event_fields_and_sources(app: Any, api: Any, routed: None) -> None:
    secret = token_instance(api, slug="line3", idempotency_field="id")
    critical = post_event(app, secret, {"id": "a1", "title": "Filler jam", "labels": {"severity": "critical"}},
                          slug="line3")
    ticket = api.get(f"/api/v1/incidents/{critical.json['ticket']}").json
    assert (ticket["group"], ticket["assignee"], ticket["priority"]) == ("line-techs", "lena", 1)
    minor = post_event(app, secret, {"id": "a2", "title": "Label low", "labels": {"severity": "minor"}}, slug="line3")
    assert api.get(f"/api/v1/incidents/{minor.json['ticket']}").json["group"] is None


def test_switched_off_nothing_is_routed(api: Any, routed: None) -> None:
    api.patch("/api/v1/admin/plugins/routing", json={"enabled": False})
    ticket = api.post("/api/v1/incidents", json={"title": "Boiler noise"}).json
    assert ticket["group"] is None and not any(tag.startswith("routed:") for tag in ticket["tags"])


def test_bad_rules_are_refused(api: Any, routed: None) -> None:
    response = api.put("/api/v1/admin/plugins/routing/settings", json={"settings": {"rules": [
        {"name": "Bad Name", "set": {"priority": 9}}]}})
    assert response.status_code == 422


def test_stored_rules_load_back_as_written(app: Any, api: Any, routed: None, caplog: pytest.LogCaptureFixture) -> None:
    """Settings are stored under the schema's own keys ("fields", "continue"), not the Python
    attribute names, so they load back without falling back to the raw stored data."""
    from hub.models import PluginState
    from hub.plugins.admin import effective_settings

    runtime = app.extensions["hub"]
    runtime.caches.pop("plugin_settings", None)
    with runtime.db.reading() as session:
        stored = session.get(PluginState, "routing").settings
        assert stored["rules"][1]["when"]["fields"] == {"labels.severity": "critical"}
        assert "fields_" not in stored["rules"][1]["when"] and "continue_" not in stored["rules"][1]
        loaded = effective_settings(session, "routing")
    assert "no longer load" not in caplog.text
    assert loaded["rules"][1]["when"]["fields_"] == {"labels.severity": "critical"}
    assert api.get("/api/v1/admin/plugins/routing/settings").status_code == 200
