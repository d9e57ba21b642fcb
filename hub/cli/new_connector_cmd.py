"""itsm-hub new-connector: write a connector package that a third party can build on.

The package is what a connector author would otherwise copy from the docs: setup.cfg with
the ``itsm_hub`` entry point, the connector of the chosen kind, its settings schema, the
one-line contract test with tests of its own against a real loopback stand-in for the
remote, and a README. Its tests pass as generated (tests/hub/cli/test_new_connector.py
runs them for every kind), so an author starts from green and changes one thing at a time.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import click

#: What each kind is, in the words `--help` and the README use.
KINDS = {
    "polling": "reads a JSON API on a schedule (PollingSource)",
    "webhook": "receives signed JSON posts (WebhookSource)",
    "listener": "keeps a connection open to a stream of alarms (ListenerSource)",
    "pusher": "posts ticket changes to another system (Pusher)",
    "sync": "keeps tickets in step with another ticket system, both ways (SyncConnector)",
}
#: The instance settings the README's `connectors add` example needs for each kind.
ADD_EXAMPLE = {
    "polling": "--set url=https://records.example.org/api/records",
    "webhook": "--set secret=$(openssl rand -hex 24)",
    "listener": "--set host=alarms.plant.local --set port=7070",
    "pusher": "--set url=https://receiver.example.org/api/changes",
    "sync": "--set url=https://tickets.example.org/api --set token=...",
}
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Names:
    """Every spelling of the connector's name the package needs."""

    name: str  # acme-alarms
    kind: str

    @property
    def slug(self) -> str:
        return self.name

    @property
    def module(self) -> str:
        return "hub_" + self.name.replace("-", "_")

    @property
    def dist(self) -> str:
        return "hub-connector-" + self.name

    @property
    def cls(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-"))

    @property
    def title(self) -> str:
        return " ".join(part.capitalize() for part in self.name.split("-"))

    def values(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "slug": self.slug, "module": self.module, "dist": self.dist,
                "cls": self.cls, "title": self.title, "summary": f"a connector that {KINDS[self.kind]}.",
                "add_example": ADD_EXAMPLE[self.kind]}


def check_name(name: str) -> str:
    """The name, or a UsageError saying how to spell it."""
    if not NAME.match(name) or len(name) > 40:
        raise click.UsageError(f"{name!r}: use lower-case letters and digits, words joined by '-' "
                               "(for example 'acme-alarms'), at most 40 characters.")
    if keyword.iskeyword(name.replace("-", "_")):
        raise click.UsageError(f"{name!r} is a Python keyword; choose another name.")
    return name


def package_files(names: Names) -> dict[str, str]:
    """The package as {relative path: text}."""
    root = files("hub.cli") / "scaffold"
    kind = root / names.kind
    layout: dict[str, Traversable] = {
        "setup.cfg": root / "common" / "setup.cfg.tmpl",
        "pyproject.toml": root / "common" / "pyproject.toml.tmpl",
        "README.md": root / "common" / "README.md.tmpl",
        f"src/{names.module}/__init__.py": root / "common" / "__init__.py.tmpl",
        f"src/{names.module}/connector.py": kind / "connector.py.tmpl",
        f"tests/test_{names.module}.py": kind / "test.py.tmpl",
    }
    if names.kind in ("polling", "pusher"):
        layout["tests/remote.py"] = root / "common" / "remote.py.tmpl"
    elif names.kind == "sync":  # a ticket system's stand-in: records change, comments, versions
        layout["tests/remote.py"] = kind / "remote.py.tmpl"
    values = names.values()
    return {path: Template(source.read_text("utf-8")).substitute(values) for path, source in layout.items()}


def write_package(names: Names, target: Path) -> list[Path]:
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} exists and is not empty; choose another --directory.")
    written = []
    for relative, text in package_files(names).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


@click.command("new-connector")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(KINDS)), default="polling", show_default=True,
              help="What the connector does: " + "; ".join(f"{kind}: {what}" for kind, what in KINDS.items()) + ".")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the package (default: ./hub-connector-NAME).")
def new_connector(name: str, kind: str, directory: Path | None) -> None:
    """Write a connector package NAME (e.g. acme-alarms) whose tests pass as generated."""
    names = Names(check_name(name), kind)
    target = directory or Path.cwd() / names.dist
    written = write_package(names, target)
    click.echo(f"Wrote {len(written)} files to {target}:")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(f"\nNext:\n  cd {target}\n  pip install -e '.[test]'\n  pytest")


COMMANDS = [new_connector]
