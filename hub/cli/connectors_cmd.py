"""itsm-hub connectors: installed connectors and their instances."""

from __future__ import annotations

import json
from typing import Any

import click

from hub.cli import HubContext, pass_hub


def _parse_config(pairs: tuple[str, ...], config_json: str | None) -> dict[str, Any]:
    """``--set key=value`` pairs (values parsed as JSON when they are) over ``--config`` JSON."""
    config: dict[str, Any] = {}
    if config_json:
        source = config_json
        if config_json.startswith("@"):
            with open(config_json[1:], encoding="utf-8") as handle:
                source = handle.read()
        try:
            config = json.loads(source)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--config") from None
        if not isinstance(config, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--config")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--set")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    return config


@click.group()
def connectors() -> None:
    """Installed connectors and their configured instances."""


@connectors.command("list")
@pass_hub
def list_connectors(hub: HubContext) -> None:
    """Connector types, then instances."""
    from hub.plugins.instances import list_instances

    runtime = hub.runtime
    click.echo("Installed connectors:")
    for slug, cls in sorted(runtime.plugins.connectors.items()):
        click.echo(f"  {slug:<14} {cls.version:<8} {','.join(cls.capabilities()):<18} {cls.title}")
    with hub.transaction() as session:
        instances = list_instances(session)
        click.echo("Instances:" if instances else "No instances yet: itsm-hub connectors add <connector> <slug> ...")
        for instance in instances:
            state = "enabled" if instance.enabled else "disabled"
            error = f"  last error: {instance.last_error}" if instance.last_error else ""
            click.echo(f"  {instance.slug:<20} {instance.connector:<14} {state:<9} {instance.name}{error}")


@connectors.command()
@click.argument("connector")
@click.argument("slug")
@click.option("--name", help="Display name (default: the slug).")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="One config value; repeatable.")
@click.option("--config", "config_json", metavar="JSON|@FILE", help="The whole config as JSON, or @file.json.")
@click.option("--department")
@click.option("--poll-interval", type=int)
@click.option("--poll-cron")
@click.option("--enable", is_flag=True, help="Enable it right away.")
@pass_hub
def add(hub: HubContext, connector: str, slug: str, name: str | None, pairs: tuple[str, ...],
        config_json: str | None, department: str | None, poll_interval: int | None, poll_cron: str | None,
        enable: bool) -> None:
    """Add an instance of CONNECTOR named SLUG; its config is checked first."""
    from hub.plugins.instances import create_instance

    config = _parse_config(pairs, config_json)
    with hub.transaction() as session:
        instance = create_instance(session=session, connector=connector, slug=slug, name=name, config=config,
                                   department=department, enabled=enable, poll_interval=poll_interval,
                                   poll_cron=poll_cron)
        state = "enabled" if instance.enabled else "disabled (itsm-hub connectors enable " + slug + ")"
        click.echo(f"Added {connector} instance {slug}: {state}.")


@connectors.command()
@click.argument("slug")
@pass_hub
def show(hub: HubContext, slug: str) -> None:
    """An instance with its config (secrets masked) and last run."""
    from hub.plugins.instances import get_instance, present_instance

    with hub.transaction() as session:
        shown = present_instance(session, get_instance(session, slug))
    click.echo(json.dumps(shown, indent=2, default=str))


def _switch(hub: HubContext, slug: str, enabled: bool) -> None:
    from hub.plugins.instances import get_instance, update_instance

    with hub.transaction() as session:
        update_instance(session=session, instance=get_instance(session, slug), changes={"enabled": enabled})
    click.echo(f"{slug} {'enabled' if enabled else 'disabled'}.")


@connectors.command()
@click.argument("slug")
@pass_hub
def enable(hub: HubContext, slug: str) -> None:
    _switch(hub, slug, True)


@connectors.command()
@click.argument("slug")
@pass_hub
def disable(hub: HubContext, slug: str) -> None:
    _switch(hub, slug, False)


@connectors.command()
@click.argument("slug")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE")
@pass_hub
def configure(hub: HubContext, slug: str, pairs: tuple[str, ...]) -> None:
    """Change config values of an instance (others, and secrets not given, stay)."""
    from hub.plugins.instances import get_instance, update_instance

    with hub.transaction() as session:
        instance = get_instance(session, slug)
        config = {**(instance.config or {}), **_parse_config(pairs, None)}
        update_instance(session=session, instance=instance, changes={"config": config})
    click.echo(f"{slug} updated.")


@connectors.command()
@click.argument("slug")
@pass_hub
def test(hub: HubContext, slug: str) -> None:
    """Run the connector's connection check with the stored config."""
    from hub.plugins.instances import check_instance, get_instance

    with hub.transaction() as session:
        ok, detail = check_instance(session, get_instance(session, slug))
    if not ok:
        raise click.ClickException(f"{slug}: {detail}")
    click.echo(f"{slug}: ok: {detail}")


COMMANDS = [connectors]
