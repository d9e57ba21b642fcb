"""register_connectors, register_blueprints, register_commands, startup."""

from __future__ import annotations

from typing import Any

import click
from click.testing import CliRunner
from flask import Blueprint

from hub.hookspecs import hookimpl
from hub.sdk import Connector


def test_hook_register_connectors(with_plugins: Any, request: Any) -> None:
    class Thermometer(Connector):
        slug = "thermometer"
        title = "Thermometer"
        version = "0.1.0"

    class Provides:
        name = "thermo-plugin"

        @hookimpl
        def register_connectors(self) -> list[type]:
            return [Thermometer]

    with_plugins(Provides())
    api = request.getfixturevalue("api")
    types = {t["slug"]: t for t in api.get("/api/v1/admin/connectors").json}
    assert types["thermometer"]["plugin"] == "thermo-plugin"
    assert api.get("/api/v1/admin/plugins/thermo-plugin").json["kind"] == "connector"


def test_a_duplicate_connector_slug_is_refused(with_plugins: Any, request: Any) -> None:
    class Impostor(Connector):
        slug = "webhook"

    class Provides:
        name = "impostor"

        @hookimpl
        def register_connectors(self) -> list[type]:
            return [Impostor]

    with_plugins(Provides())
    api = request.getfixturevalue("api")
    plugin = api.get("/api/v1/admin/plugins/impostor").json
    assert "already provided by plugin 'webhook'" in plugin["error"]


def test_hook_register_blueprints(with_plugins: Any, request: Any) -> None:
    class Pages:
        name = "pages"

        @hookimpl
        def register_blueprints(self) -> list[Blueprint]:
            bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
            bp.add_url_rule("/", "index", lambda: "kiosk page")
            return [bp]

    with_plugins(Pages())
    app = request.getfixturevalue("app")
    assert app.test_client().get("/kiosk/").data == b"kiosk page"


def test_hook_register_commands(monkeypatch: Any, tmp_path: Any) -> None:
    from hub import cli as cli_module

    @click.command("hello-plugin")
    def hello() -> None:
        click.echo("hello from a plugin")

    class Commands:
        @hookimpl
        def register_commands(self) -> list[click.Command]:
            return [hello]

    from hub.plugins.manager import get_plugin_manager

    real = get_plugin_manager
    monkeypatch.setattr("hub.plugins.manager.get_plugin_manager",
                        lambda **kwargs: real(extra=[("commands", Commands())], **kwargs))
    monkeypatch.setattr(cli_module, "_assembled", False)
    group = cli_module.get_cli()
    try:
        result = CliRunner().invoke(group, ["hello-plugin"])
        assert result.output.strip() == "hello from a plugin"
    finally:
        group.commands.pop("hello-plugin", None)
        monkeypatch.setattr(cli_module, "_assembled", False)


def test_hook_startup(with_plugins: Any, request: Any) -> None:
    seen = []

    class Starts:
        name = "starts"

        @hookimpl
        def startup(self, app: Any) -> None:
            seen.append(app.name)

    with_plugins(Starts())
    request.getfixturevalue("app")
    assert seen == ["hub"]
