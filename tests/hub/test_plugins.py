"""The plugin manager: discovery, failures, validation, isolation and run-time switches."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from hub import create_app
from hub.hookspecs import hookimpl
from hub.plugins.manager import get_plugin_manager
from tests.support.plugins import installed_plugins

GOOD = '''
"""Adds a tag to every ticket."""
from hub.hookspecs import hookimpl
__version__ = "9.9"

@hookimpl
def enrich_ticket(draft):
    draft.tags.append("seen-by-good")
'''
BROKEN_IMPORT = '''
import a_module_that_does_not_exist
'''
MISSPELT = '''
from hub.hookspecs import hookimpl

@hookimpl
def ticket_creatd(ticket):
    pass
'''
WRONG_ARGS = '''
from hub.hookspecs import hookimpl

@hookimpl
def ticket_created(ticket, colour):
    pass
'''


def test_entry_points_are_discovered_and_failures_listed(tmp_path: Path) -> None:
    with installed_plugins(tmp_path, {"good": GOOD, "broken": BROKEN_IMPORT, "misspelt": MISSPELT,
                                      "wrongargs": WRONG_ARGS}):
        plugins = get_plugin_manager()
    records = plugins.records
    assert records["good"].loaded and records["good"].kind == "feature"
    assert records["good"].version == "1.2.3" and records["good"].distribution == "fake-hub-plugins"
    assert records["good"].description == "Adds a tag to every ticket."
    assert records["good"].hooks == ["enrich_ticket"]
    assert "No module named 'a_module_that_does_not_exist'" in records["broken"].error
    assert records["misspelt"].error == "unknown hook 'ticket_creatd' (did you mean ticket_created?)"
    assert "colour" in records["wrongargs"].error
    assert plugins.pm.get_plugin("misspelt") is None


def test_load_plugins_restricts_what_loads(tmp_path: Path) -> None:
    with installed_plugins(tmp_path, {"good": GOOD, "broken": BROKEN_IMPORT}):
        plugins = get_plugin_manager(only=["good"])
    assert "good" in plugins.records and "broken" not in plugins.records


def test_builtins_load_through_the_same_entry_points() -> None:
    plugins = get_plugin_manager()
    assert plugins.records["webhook"].module == "connectors.webhook"
    assert plugins.records["webhook"].kind == "connector"
    assert plugins.records["webhook"].connectors == ["webhook"]


def test_the_hub_starts_with_a_broken_plugin_and_shows_it(tmp_path: Path, app_config: dict[str, Any]) -> None:
    app_config["LOAD_ENTRYPOINTS"] = True
    app_config["LOAD_PLUGINS"] = "good,broken"
    with installed_plugins(tmp_path / "site", {"good": GOOD, "broken": BROKEN_IMPORT}):
        app = create_app(app_config)
    from tests.conftest import ApiClient, make_token

    client = ApiClient(app.test_client(), make_token(app, "admin"))
    listed = {plugin["name"]: plugin for plugin in client.get("/api/v1/admin/plugins").json}
    assert listed["broken"]["status"] == "failed" and "a_module_that_does_not_exist" in listed["broken"]["error"]
    assert listed["good"]["status"] == "disabled" and listed["good"]["origin"] == "third-party"
    assert client.post("/api/v1/incidents", json={"title": "x"}).json["tags"] == []
    assert client.patch("/api/v1/admin/plugins/good", json={"enabled": True}).json["status"] == "enabled"
    created = client.post("/api/v1/incidents", json={"title": "x"}).json
    assert created["tags"] == ["seen-by-good"]
    assert client.patch("/api/v1/admin/plugins/broken", json={"enabled": True}).status_code == 409
    app.extensions["hub"].db.dispose()


class Exploding:
    """A plugin whose hooks all fail."""

    @hookimpl
    def enrich_ticket(self, draft: Any) -> None:
        raise RuntimeError("routing table missing")

    @hookimpl
    def ticket_created(self, ticket: Any) -> None:
        raise ZeroDivisionError("oops")

    @hookimpl
    def correlation_key(self, draft: Any) -> str:
        raise KeyError("nope")


class WritesBadRows:
    """A plugin that breaks the transaction it runs in; its savepoint must contain the damage."""

    @hookimpl
    def ticket_created(self, ticket: Any, session: Any) -> None:
        from sqlalchemy import text

        session.execute(text("INSERT INTO departments (id, slug, name, created_at) VALUES (1, 'a', 'A', '2026-01-01')"))
        session.execute(text("INSERT INTO departments (id, slug, name, created_at) VALUES (1, 'b', 'B', '2026-01-01')"))


@pytest.fixture
def isolated_app(app_config: dict[str, Any]) -> Any:
    app_config["PLUGINS"] = [("exploding", Exploding()), ("writes-bad-rows", WritesBadRows()),
                             ("webhook", "connectors.webhook")]
    app = create_app(app_config)
    yield app
    app.extensions["hub"].db.dispose()


def test_a_failing_plugin_leaves_the_ticket_intact_and_the_failure_visible(
        isolated_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    from tests.conftest import ApiClient, make_token

    client = ApiClient(isolated_app.test_client(), make_token(isolated_app, "admin"))
    with caplog.at_level(logging.ERROR, logger="hub.plugins"):
        created = client.post("/api/v1/incidents", json={"title": "Still here"})
    assert created.status_code == 201, created.json
    assert client.get(f"/api/v1/incidents/{created.json['ref']}").json["title"] == "Still here"
    assert client.get("/api/v1/departments").json == []  # the bad plugin's writes were rolled back
    plugins = {p["name"]: p for p in client.get("/api/v1/admin/plugins").json}
    assert plugins["exploding"]["failure_count"] == 2
    assert plugins["exploding"]["last_failure_hook"] in ("enrich_ticket", "ticket_created")
    assert "ZeroDivisionError: oops" in plugins["exploding"]["last_failure"] or \
        "RuntimeError: routing table missing" in plugins["exploding"]["last_failure"]
    assert plugins["writes-bad-rows"]["failure_count"] == 1
    assert "IntegrityError" in plugins["writes-bad-rows"]["last_failure"]
    assert any("plugin exploding failed in hook enrich_ticket" in r.getMessage() for r in caplog.records)


def test_a_failing_plugin_on_the_ingest_path_loses_no_event(isolated_app: Any) -> None:
    from tests.conftest import ApiClient, make_token

    client = ApiClient(isolated_app.test_client(), make_token(isolated_app, "admin"))
    client.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "t", "enabled": True,
                                                 "config": {"auth": "token", "secret": "t" * 20}})
    response = isolated_app.test_client().post("/api/v1/hooks/t", json={"title": "From a sensor"},
                                               headers={"X-Hub-Token": "t" * 20})
    assert response.status_code == 201, response.json
    assert client.get("/api/v1/admin/plugins/exploding").json["failure_count"] == 3


def test_disabling_a_plugin_takes_effect_in_every_process_without_restart(app_config: dict[str, Any]) -> None:
    """Two apps on one database stand for two processes (web and worker)."""
    from tests.conftest import ApiClient, make_token

    class Tagger:
        @hookimpl
        def enrich_ticket(self, draft: Any) -> None:
            draft.tags.append("tagged")

    app_config["PLUGINS"] = [("tagger", Tagger())]
    web, worker = create_app(app_config), create_app(app_config)
    admin = ApiClient(web.test_client(), make_token(web, "admin"))
    agent = ApiClient(worker.test_client(), make_token(worker, "agent"))
    assert agent.post("/api/v1/incidents", json={"title": "a"}).json["tags"] == ["tagged"]
    assert admin.patch("/api/v1/admin/plugins/tagger", json={"enabled": False}).json["status"] == "disabled"
    assert agent.post("/api/v1/incidents", json={"title": "b"}).json["tags"] == []
    assert admin.patch("/api/v1/admin/plugins/tagger", json={"enabled": True}).status_code == 200
    assert agent.post("/api/v1/incidents", json={"title": "c"}).json["tags"] == ["tagged"]
    for app in (web, worker):
        app.extensions["hub"].db.dispose()


def test_core_plugins_cannot_be_disabled(api: Any) -> None:
    response = api.patch("/api/v1/admin/plugins/hub.builtins", json={"enabled": False})
    assert response.status_code == 409
    assert api.patch("/api/v1/admin/plugins/nothing", json={"enabled": False}).status_code == 404


def test_tracing_logs_hook_calls(app_config: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    from tests.conftest import ApiClient, make_token

    app_config["TRACE_PLUGINS"] = True
    app = create_app(app_config)
    client = ApiClient(app.test_client(), make_token(app, "agent"))
    with caplog.at_level(logging.INFO, logger="hub.plugins.trace"):
        client.post("/api/v1/incidents", json={"title": "traced"})
    assert any("enrich_ticket" in record.getMessage() for record in caplog.records)
    app.extensions["hub"].db.dispose()


def test_disabled_plugin_routes_answer_404(app_config: dict[str, Any]) -> None:
    from flask import Blueprint

    from tests.conftest import ApiClient, make_token

    class Pages:
        @hookimpl
        def register_blueprints(self) -> list[Blueprint]:
            bp = Blueprint("pages_plugin", __name__, url_prefix="/extra")
            bp.add_url_rule("/hello", "hello", lambda: "hello")
            return [bp]

    app_config["PLUGINS"] = [("pages", Pages())]
    app = create_app(app_config)
    admin = ApiClient(app.test_client(), make_token(app, "admin"))
    assert app.test_client().get("/extra/hello").data == b"hello"
    admin.patch("/api/v1/admin/plugins/pages", json={"enabled": False})
    assert app.test_client().get("/extra/hello").status_code == 404
    app.extensions["hub"].db.dispose()
