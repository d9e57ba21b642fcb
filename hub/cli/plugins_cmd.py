"""itsm-hub plugins: what is installed, and the switches."""

from __future__ import annotations

import click

from hub.cli import HubContext, pass_hub


@click.group()
def plugins() -> None:
    """Installed plugins: list, enable, disable."""


@plugins.command("list")
@click.option("--failed", is_flag=True, help="Only plugins that failed to load or whose hooks failed.")
@pass_hub
def list_plugins(hub: HubContext, failed: bool) -> None:
    from hub.plugins.admin import list_plugins as catalog

    with hub.transaction() as session:
        for view in catalog(session):
            if failed and view.status != "failed" and not view.failure_count:
                continue
            version = view.version or "-"
            click.echo(f"{view.name:<20} {view.kind:<10} {version:<10} {view.status:<9} {view.description}")
            if view.error:
                click.echo(f"{'':<20} error: {view.error}")
            if view.failure_count:
                click.echo(f"{'':<20} {view.failure_count} hook failure(s); last in {view.last_failure_hook}: "
                           f"{view.last_failure}")


def _switch(hub: HubContext, name: str, enabled: bool) -> None:
    from hub.plugins.admin import set_enabled

    with hub.transaction() as session:
        view = set_enabled(session=session, name=name, enabled=enabled)
    click.echo(f"{view.name} is {view.status}; every process follows within "
               f"{hub.runtime.settings['PLUGIN_REFRESH_SECONDS']:g} s.")


@plugins.command()
@click.argument("name")
@pass_hub
def enable(hub: HubContext, name: str) -> None:
    """Switch a plugin on."""
    _switch(hub, name, True)


@plugins.command()
@click.argument("name")
@pass_hub
def disable(hub: HubContext, name: str) -> None:
    """Switch a plugin off: its hooks, routes and schedules stop."""
    _switch(hub, name, False)


COMMANDS = [plugins]
