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
    """Installed plugins, their switches, and which running processes need a restart."""
    from hub.plugins.admin import list_plugins as catalog
    from hub.plugins.installs import THIRD_PARTY
    from hub.plugins.presence import restart_notes

    with hub.transaction() as session:
        views = catalog(session)
        notes = restart_notes(session)
    for view in views:
        if failed and view.status != "failed" and not view.failure_count:
            continue
        version = view.version or "-"
        click.echo(f"{view.name:<20} {view.kind:<10} {version:<10} {view.status:<9} {view.description}")
        if view.error:
            click.echo(f"{'':<20} error: {view.error}")
        if view.failure_count:
            click.echo(f"{'':<20} {view.failure_count} hook failure(s); last in {view.last_failure_hook}: "
                       f"{view.last_failure}")
        if view.origin == THIRD_PARTY and view.status == "disabled":
            click.echo(f"{'':<20} third-party ({view.distribution or 'unknown package'}): it runs once an admin "
                       f"enables it (`itsm-hub plugins enable {view.name}`)")
    if notes and not failed:
        click.echo("\nRestart needed:")
        for note in notes:
            click.echo(f"  {note.text}")
            click.echo(f"    processes to restart: {', '.join(note.processes)}")


def _switch(hub: HubContext, name: str, enabled: bool) -> None:
    from hub.plugins.admin import set_enabled

    with hub.transaction() as session:
        view = set_enabled(session=session, name=name, enabled=enabled)
    click.echo(f"{view.name} is {view.status}; every process follows within "
               f"{hub.runtime.settings['PLUGIN_REFRESH_SECONDS']:g} s.")
    if view.restart_needed:
        click.echo(f"Restart needed: {view.restart_needed} (processes to restart: "
                   f"{', '.join(view.restart_processes)}).")


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
