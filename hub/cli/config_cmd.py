"""itsm-hub config: check settings, write their documentation."""

from __future__ import annotations

from pathlib import Path

import click

from hub.app.docs_gen import update_hooks_doc
from hub.app.settings import SettingsError, load_settings
from hub.app.settings_docs import render_example_toml, render_markdown
from hub.cli.sdk_reference import render_sdk_reference


@click.group()
def config() -> None:
    """Settings."""


@config.command()
def check() -> None:
    """Parse the settings from the environment and HUB_CONFIG_FILE; report the first error."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Settings are valid ({len(settings)} read).")


@config.command()
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
def docs(root: Path) -> None:
    """Write the generated references: settings, the example config, the hooks, the SDK."""
    (root / "docs").mkdir(exist_ok=True)
    (root / "config").mkdir(exist_ok=True)
    (root / "docs" / "configuration.md").write_text(render_markdown())
    (root / "config" / "hub.example.toml").write_text(render_example_toml())
    update_hooks_doc(root / "docs" / "hooks.md")
    (root / "docs" / "sdk-reference.md").write_text(render_sdk_reference())
    click.echo("Wrote docs/configuration.md, config/hub.example.toml, docs/sdk-reference.md and the reference in "
               "docs/hooks.md.")


COMMANDS = [config]
