"""Installed is not enabled: third-party packages wait for an admin; changes after start ask for a restart.

The packages are real entry points on sys.path (tests/support/plugins.py writes a dist-info
folder as pip would), so discovery, the origin of each plugin and the install watch are
tested through importlib.metadata itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from connectors.webhook.signing import sign
from hub import create_app
from hub.models import HubProcess, PluginState
from hub.plugins.installs import BUILT_IN, THIRD_PARTY, Change, compare, installed_entry_points
from hub.plugins.manager import get_plugin_manager
from hub.plugins.presence import ProcessBeacon
from tests.conftest import ApiClient, make_token
from tests.hub.ui.conftest import Browser, add_user
from tests.support.plugins import installed_plugins

TAGGER = '''
"""Tags every new ticket."""
from hub.hookspecs import hookimpl

@hookimpl
def enrich_ticket(draft):
    draft.tags.append("acme-was-here")
'''
HOOK_CONNECTOR = '''
"""Acme alarms arrive by webhook."""
from connectors.webhook.connector import WebhookConnector
from hub.hookspecs import hookimpl

class AcmeHook(WebhookConnector):
    slug = "acme-hook"
    title = "Acme alarms"

@hookimpl
def register_connectors():
    return [AcmeHook]
'''
FAILS_TO_REGISTER = '''
from hub.hookspecs import hookimpl

@hookimpl
def register_schedules():
    raise RuntimeError("no schedules today")
'''
SECRET = "acme-shared-secret"


@pytest.fixture
def third_party(tmp_path: Path) -> Iterator[Path]:
    """acme-alarms 1.0: a feature plugin and a webhook connector, installed before the hub starts."""
    with installed_plugins(tmp_path / "site", {"acme-tags": TAGGER, "acme-hook": HOOK_CONNECTOR},
                           dist="acme-alarms", version="1.0"):
        yield tmp_path / "site"


def hub_with(app_config: dict[str, Any], only: str, **settings: Any) -> Flask:
    app_config.update(LOAD_ENTRYPOINTS=True, LOAD_PLUGINS=only, **settings)
    return create_app(app_config)


@pytest.fixture
def hub(app_config: dict[str, Any], third_party: Path) -> Iterator[Flask]:
    app = hub_with(app_config, "acme-tags,acme-hook,webhook")
    yield app
    app.extensions["hub"].db.dispose()


@pytest.fixture
def admin(hub: Flask) -> ApiClient:
    return ApiClient(hub.test_client(), make_token(hub, "admin", "alice", "alice@hub.test"))


def listed(client: ApiClient) -> dict[str, Any]:
    response = client.get("/api/v1/admin/plugins")
    assert response.status_code == 200, response.json
    return {plugin["name"]: plugin for plugin in response.json}


def test_a_third_party_plugin_arrives_disabled_and_built_ins_keep_running(hub: Flask, admin: ApiClient) -> None:
    plugins = listed(admin)
    assert plugins["acme-tags"]["status"] == "disabled" and plugins["acme-tags"]["origin"] == THIRD_PARTY
    assert plugins["acme-tags"]["distribution"] == "acme-alarms" and plugins["acme-tags"]["first_seen_at"]
    assert plugins["webhook"]["status"] == "enabled" and plugins["webhook"]["origin"] == BUILT_IN
    assert plugins["hub.builtins"]["origin"] == "core"
    with hub.extensions["hub"].db.reading() as session:
        rows = {row.name: row for row in session.scalars(select(PluginState))}
    assert rows["acme-tags"].enabled is False and rows["acme-tags"].distribution == "acme-alarms"
    assert "webhook" not in rows  # a built-in needs no row to run


def test_its_hooks_run_only_once_an_admin_enables_it(hub: Flask, admin: ApiClient) -> None:
    assert admin.post("/api/v1/incidents", json={"title": "Filler jam"}).json["tags"] == []
    enabled = admin.patch("/api/v1/admin/plugins/acme-tags", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json["status"] == "enabled"
    assert admin.post("/api/v1/incidents", json={"title": "Filler jam"}).json["tags"] == ["acme-was-here"]


def post_alarm(hub: Flask, slug: str = "line-1") -> Any:
    raw = json.dumps({"id": "a-1", "title": "Filler 2 jammed"}).encode()
    stamp, signature = sign(SECRET, raw)
    return hub.test_client().post(f"/api/v1/hooks/{slug}", data=raw, headers={
        "X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json"})


def test_its_connector_refuses_instances_and_webhooks_until_enabled(hub: Flask, admin: ApiClient) -> None:
    instance = {"connector": "acme-hook", "slug": "line-1", "config": {"secret": SECRET}}
    refused = admin.post("/api/v1/admin/instances", json={**instance, "enabled": True})
    assert refused.status_code == 409
    assert "The plugin acme-hook is installed but not enabled: an admin enables it under Admin → Plugins" \
        in refused.json["detail"]
    assert admin.post("/api/v1/admin/instances", json=instance).status_code == 201  # prepared, disabled
    assert admin.patch("/api/v1/admin/instances/line-1", json={"enabled": True}).status_code == 409

    waiting = post_alarm(hub)
    assert waiting.status_code == 503
    assert waiting.json["detail"].startswith("The plugin acme-hook is installed but not enabled")
    assert waiting.json["type"].endswith("plugin-not-enabled")

    assert admin.patch("/api/v1/admin/plugins/acme-hook", json={"enabled": True}).status_code == 200
    assert admin.patch("/api/v1/admin/instances/line-1", json={"enabled": True}).status_code == 200
    assert post_alarm(hub).status_code == 201


def signed_in(app: Flask, username: str, role: str) -> Browser:
    add_user(app, username, role)
    return Browser(app, username)


def test_the_plugins_page_says_what_waits_for_an_admin(hub: Flask) -> None:
    page = signed_in(hub, "boss", "admin").text("/admin/plugins")
    assert "third-party: acme-alarms" in page and 'aria-label="Enable acme-tags"' in page


def test_a_failing_registration_hook_does_not_switch_a_plugin_on(app_config: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    """A failure is recorded on the plugin's row; making that row must not enable it."""
    from hub.plugins.admin import flush_failures

    with installed_plugins(tmp_path / "site", {"acme-broken": FAILS_TO_REGISTER}, dist="acme-broken"):
        app = hub_with(app_config, "acme-broken")
    runtime = app.extensions["hub"]
    with runtime.db.transaction() as session:
        session.execute(PluginState.__table__.delete())  # as if its first sighting was never stored
    runtime.schedules()
    flush_failures(runtime)
    with runtime.db.reading() as session:
        row = session.get(PluginState, "acme-broken")
        assert row is not None and row.failure_count == 1 and row.enabled is False
    runtime.db.dispose()


def test_a_switch_does_not_carry_over_to_another_package_that_takes_the_name(
        app_config: dict[str, Any], tmp_path: Path) -> None:
    app = create_app(app_config)  # only to get the schema
    with app.extensions["hub"].db.transaction() as session:
        session.add(PluginState(name="acme-tags", enabled=True, distribution="acme-alarms", settings={},
                                failure_count=0))
    app.extensions["hub"].db.dispose()
    with installed_plugins(tmp_path / "site", {"acme-tags": TAGGER}, dist="not-acme"):
        impostor = hub_with(app_config, "acme-tags")
    runtime = impostor.extensions["hub"]
    assert runtime.plugins.records["acme-tags"].distribution == "not-acme"
    assert not runtime.plugins.is_enabled("acme-tags")
    runtime.db.dispose()


def test_a_third_party_package_cannot_take_a_built_in_name(tmp_path: Path) -> None:
    with installed_plugins(tmp_path / "site", {"webhook": TAGGER}, dist="sneaky"):
        found = {installed.name: installed for installed, _ in installed_entry_points(["webhook"])}
        plugins = get_plugin_manager(only=["webhook"])
    assert found["webhook"].distribution == "itsm-hub" and found["webhook"].origin == BUILT_IN
    assert plugins.records["webhook"].module == "connectors.webhook"
    assert plugins.records["webhook"].origin == BUILT_IN and plugins.is_enabled("webhook")


def test_a_module_named_like_a_built_in_is_still_third_party(tmp_path: Path) -> None:
    """Built-in is decided by the distribution, never by the module's name."""
    with installed_plugins(tmp_path / "site", {"acme-tags": TAGGER}, dist="acme-alarms"):
        found = installed_entry_points(["acme-tags"])
    assert found[0][0].origin == THIRD_PARTY
    plugins = get_plugin_manager(load_entrypoints=False, extra=[("x", "plugins.sla")])
    assert plugins.records["x"].origin == "configured" and plugins.is_enabled("x")


def test_hub_enable_new_plugins_trusts_every_installed_package(app_config: dict[str, Any],
                                                                third_party: Path) -> None:
    app = hub_with(app_config, "acme-tags", ENABLE_NEW_PLUGINS=True)
    client = ApiClient(app.test_client(), make_token(app, "admin"))
    assert listed(client)["acme-tags"]["status"] == "enabled"
    assert client.post("/api/v1/incidents", json={"title": "x"}).json["tags"] == ["acme-was-here"]
    app.extensions["hub"].db.dispose()


def test_the_cli_lists_and_enables_a_third_party_plugin(hub: Flask, monkeypatch: pytest.MonkeyPatch,
                                                        app_config: dict[str, Any]) -> None:
    from hub.cli import get_cli

    for key, value in (("DATABASE_URL", app_config["DATABASE_URL"]), ("INSTANCE_PATH", app_config["INSTANCE_PATH"]),
                       ("LOAD_PLUGINS", "acme-tags,acme-hook,webhook"), ("SECRET_KEY", "cli-secret")):
        monkeypatch.setenv(f"HUB_{key}", value)
    runner = CliRunner()
    listed_text = runner.invoke(get_cli(), ["plugins", "list"]).output
    line = next(line for line in listed_text.splitlines() if line.startswith("acme-tags "))
    assert line.split()[:4] == ["acme-tags", "feature", "1.0", "disabled"]
    assert "third-party (acme-alarms): it runs once an admin enables it (`itsm-hub plugins enable acme-tags`)" \
        in listed_text
    enabled = runner.invoke(get_cli(), ["plugins", "enable", "acme-tags"])
    assert enabled.exit_code == 0 and "acme-tags is enabled" in enabled.output
    admin = ApiClient(hub.test_client(), make_token(hub, "admin"))
    assert listed(admin)["acme-tags"]["status"] == "enabled"  # PLUGIN_REFRESH_SECONDS is 0 in tests


# -- installed after start: restart needed ------------------------------------------------


@pytest.fixture
def running(app_config: dict[str, Any]) -> Iterator[Flask]:
    """A hub serving before acme-alarms is installed, with its process row written."""
    app = hub_with(app_config, "acme-tags,acme-hook,webhook")
    beacon = ProcessBeacon(app.extensions["hub"], "web", interval=60)
    app.extensions["hub"].caches["process_beacon"] = beacon
    beacon.beat()
    yield app
    app.extensions["hub"].db.dispose()


def test_a_package_installed_after_start_asks_for_a_restart_everywhere(
        running: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_config: dict[str, Any]) -> None:
    from hub.cli import get_cli

    runtime = running.extensions["hub"]
    admin = ApiClient(running.test_client(), make_token(running, "admin"))
    assert listed(admin)["webhook"]["restart_needed"] is None
    with installed_plugins(tmp_path / "later", {"acme-tags": TAGGER}, dist="acme-alarms", version="1.0"):
        runtime.caches["process_beacon"].beat()  # what its thread does every HUB_PLUGIN_SCAN_SECONDS
        with runtime.db.reading() as session:
            row = session.scalars(select(HubProcess)).one()
            assert row.changes == [{"name": "acme-tags", "change": "installed", "version": "1.0", "running": None}]
            assert session.get(PluginState, "acme-tags").enabled is False  # seen, and waiting for an admin

        plugin = listed(admin)["acme-tags"]
        assert plugin["status"] == "not loaded"
        assert plugin["restart_needed"] == ("acme-tags 1.0: installed after this process started; "
                                            "restart the hub to load it")
        assert plugin["restart_processes"] == [f"web (pid {row.pid} on {row.host})"]
        refused = admin.patch("/api/v1/admin/plugins/acme-tags", json={"enabled": True})
        assert refused.status_code == 409 and "restart the hub to load it, then enable it" in refused.json["detail"]

        boss = signed_in(running, "boss", "admin")
        for path in ("/admin/plugins", "/tickets"):
            page = boss.text(path)
            assert "Restart needed" in page and "acme-tags 1.0: installed after this process started" in page
        assert "Restart needed" not in signed_in(running, "agent", "agent").text("/tickets")

        # The CLI is a new process and loads the package itself: the running one is what it reports.
        for key, value in (("DATABASE_URL", app_config["DATABASE_URL"]),
                           ("INSTANCE_PATH", app_config["INSTANCE_PATH"]),
                           ("LOAD_PLUGINS", "acme-tags,acme-hook,webhook"), ("SECRET_KEY", "cli-secret")):
            monkeypatch.setenv(f"HUB_{key}", value)
        output = CliRunner().invoke(get_cli(), ["plugins", "list"]).output
    assert "acme-tags            feature    1.0        disabled" in output
    assert ("Restart needed:\n  acme-tags 1.0: installed after this process started; restart the hub to load it\n"
            f"    processes to restart: web (pid {row.pid} on {row.host})") in output


def test_a_restarted_process_no_longer_asks(running: Flask, tmp_path: Path) -> None:
    runtime = running.extensions["hub"]
    with installed_plugins(tmp_path / "later", {"acme-tags": TAGGER}, dist="acme-alarms"):
        runtime.caches["process_beacon"].beat()
        runtime.caches["process_beacon"].stop()  # a clean exit removes the row
        with runtime.db.reading() as session:
            assert session.scalars(select(HubProcess)).all() == []
        runtime.caches.pop("process_beacon")
        runtime.caches.pop("restart_notes", None)
        # Without a row, the answering process speaks for itself (it still lacks the package).
        admin = ApiClient(running.test_client(), make_token(running, "admin"))
        assert listed(admin)["acme-tags"]["restart_processes"] == ["this process"]


def test_a_process_gone_silent_is_not_reported(running: Flask, tmp_path: Path) -> None:
    from datetime import timedelta

    from hub.plugins.presence import LIVE_SECONDS, restart_notes

    runtime = running.extensions["hub"]
    with installed_plugins(tmp_path / "later", {"acme-tags": TAGGER}, dist="acme-alarms"):
        runtime.caches["process_beacon"].beat()
        with runtime.db.transaction() as session:
            row = session.scalars(select(HubProcess)).one()
            row.seen_at = runtime.now() - timedelta(seconds=LIVE_SECONDS + 1)
            row.id = "killed"  # not this process's own row any more
        with runtime.db.reading() as session:
            notes = restart_notes(session)
    assert [note.processes for note in notes] == [["this process"]]


def test_changes_are_named_installed_upgraded_or_removed() -> None:
    changes = compare({"a": "1.0", "b": "1.0", "c": "2.0"}, {"a": "1.0", "b": "1.1", "d": "0.1"})
    assert changes == [Change("b", "upgraded", "1.1", "1.0"), Change("c", "removed", None, "2.0"),
                       Change("d", "installed", "0.1", None)]
    assert changes[0].describe() == ("b: changed to 1.1 after this process started (it runs 1.0); "
                                     "restart the hub to load the new version")
    assert changes[1].describe() == ("c: removed after this process started (it still runs it); "
                                     "restart the hub to unload it")


# -- upgrading a hub in use ---------------------------------------------------------------


@pytest.mark.parametrize("in_use", [True, False])
def test_the_upgrade_keeps_third_party_plugins_that_already_ran(tmp_path: Path, in_use: bool) -> None:
    """Before 0014 an installed plugin ran with no admin step: on a hub in use it keeps running;
    on a fresh database it waits for an admin like any new one."""
    from sqlalchemy import text

    from hub.app import migrate
    from hub.core.db import Database

    database = Database(f"sqlite:///{tmp_path / 'upgrade.sqlite3'}")
    migrate.upgrade(database, "0013")
    if in_use:
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO users (username, display_name, role, active, created_at, "
                                    "session_epoch) VALUES ('ops', 'Ops', 'admin', 1, '2026-01-01', 0)"))
    with installed_plugins(tmp_path / "site", {"acme-tags": TAGGER}, dist="acme-alarms"):
        migrate.upgrade(database)
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT name, enabled, distribution FROM plugin_states")).all()
    database.dispose()
    assert [tuple(row) for row in rows] == ([("acme-tags", 1, "acme-alarms")] if in_use else [])
