"""itsm-hub db: schema migrations."""

from __future__ import annotations

import click

from hub.cli import HubContext, pass_hub


def _database(hub: HubContext):
    from hub.app.factory import private_sqlite_file
    from hub.app.settings import SettingsError, load_settings
    from hub.core.db import Database

    try:
        settings = load_settings(hub.overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    url = settings["DATABASE_URL"]
    if not url:
        from pathlib import Path

        from flask import Flask

        instance = Path(settings["INSTANCE_PATH"] or Flask("hub").instance_path)
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        url = f"sqlite:///{instance.resolve() / 'hub.sqlite3'}"
    private_sqlite_file(url)
    return Database(url)


@click.group("db")
def db() -> None:
    """Database schema: upgrade, current revision."""


@db.command()
@click.option("--revision", default="head", show_default=True)
@pass_hub
def upgrade(hub: HubContext, revision: str) -> None:
    """Bring the schema up to this version of the hub."""
    from hub.app import migrate

    database = _database(hub)
    before = migrate.current_revision(database)
    migrate.upgrade(database, revision)
    after = migrate.current_revision(database)
    click.echo(f"Database at revision {after} (was {before or 'empty'}).")


@db.command()
@pass_hub
def current(hub: HubContext) -> None:
    """Show the database's revision and the newest one."""
    from hub.app import migrate

    database = _database(hub)
    click.echo(f"current: {migrate.current_revision(database) or 'empty'}")
    click.echo(f"head:    {migrate.head_revision()}")


@db.command()
@click.argument("revision")
@pass_hub
def downgrade(hub: HubContext, revision: str) -> None:
    """Step the schema back to REVISION (take a backup first)."""
    from hub.app import migrate

    migrate.downgrade(_database(hub), revision)
    click.echo(f"Database at revision {revision}.")


COMMANDS = [db]
