"""The ``itsm-hub`` command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from sqlalchemy.orm import Session

from hub.app.settings import SettingsError


class HubContext:
    """Builds the app on first use, so ``--help`` and ``config`` need no database."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self._app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            from hub.app.factory import create_app
            from hub.app.migrate import SchemaBehind

            try:
                self._app = create_app(self.overrides)
            except (SettingsError, SchemaBehind) as exc:
                raise click.ClickException(str(exc)) from None
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self.runtime.db.dispose()
            self._app = None

    @property
    def runtime(self) -> Any:
        return self.app.extensions["hub"]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        from hub.sdk.tracker_errors import TrackerError

        try:
            with self.runtime.db.transaction() as session:
                yield session
        except TrackerError as exc:
            details = getattr(exc, "errors", None)
            lines = [exc.detail] + [f"  {name}: {' '.join(msgs)}" for name, msgs in (details or {}).items()]
            raise click.ClickException("\n".join(lines)) from None


pass_hub = click.make_pass_decorator(HubContext, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="itsm-hub", prog_name="itsm-hub")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """itsm-hub: one tracker for complaints, faults and changes from every channel.

    Settings come from HUB_* environment variables (see docs/configuration.md).
    """
    ctx.ensure_object(HubContext)


def _register_builtin_commands() -> None:
    from hub.cli import (
        config_cmd,
        connectors_cmd,
        customers_cmd,
        db_cmd,
        fields_cmd,
        jobs_cmd,
        new_connector_cmd,
        org_cmd,
        org_items_cmd,
        plugins_cmd,
        run_cmd,
        status_links_cmd,
        users_cmd,
    )

    for module in (run_cmd, db_cmd, users_cmd, plugins_cmd, connectors_cmd, config_cmd, jobs_cmd, status_links_cmd,
                   new_connector_cmd, org_cmd, fields_cmd, customers_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)
    for subcommands in (jobs_cmd.SUBCOMMANDS, org_items_cmd.SUBCOMMANDS):
        for group_name, commands in subcommands.items():
            group = cli.commands[group_name]
            assert isinstance(group, click.Group)
            for command in commands:
                group.add_command(command)


def _register_plugin_commands() -> None:
    """Commands from plugins' register_commands, found without building the whole app."""
    from hub.app.settings import load_settings
    from hub.plugins.manager import get_plugin_manager

    try:
        settings = load_settings()
    except SettingsError:
        return  # the real error is reported when a command builds the app
    plugins = get_plugin_manager(load_entrypoints=settings["LOAD_ENTRYPOINTS"], only=settings["LOAD_PLUGINS"])
    for commands in plugins.hook.register_commands():
        for command in commands or []:
            if command.name not in cli.commands:
                cli.add_command(command)


_assembled = False


def get_cli() -> click.Group:
    """The command group with the built-in and plugin commands added (once)."""
    global _assembled
    if not _assembled:
        _register_builtin_commands()
        _register_plugin_commands()
        _assembled = True
    return cli


def main(argv: list[str] | None = None) -> None:
    get_cli()
    try:
        cli.main(args=argv, prog_name="itsm-hub")
    except SettingsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
