"""setup.cfg lists every package (migrations/ ships inside the wheel as hub.migrations)."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def declared_packages() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return {line.strip() for line in parser["options"]["packages"].splitlines() if line.strip()}


def found_packages() -> set[str]:
    found = set()
    for top in ("hub", "connectors", "plugins"):
        for init in (ROOT / top).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    for init in (ROOT / "migrations").rglob("__init__.py"):
        found.add(".".join(("hub", *init.parent.relative_to(ROOT).parts)))
    return found


def test_every_package_is_listed_in_setup_cfg() -> None:
    assert found_packages() == declared_packages()


def test_pyproject_only_names_the_build_backend() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert "[build-system]" in text and "[project]" not in text


def test_builtin_plugins_register_through_the_entry_point_group() -> None:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    group = parser["options.entry_points"]["itsm_hub"]
    entries = dict(line.split("=", 1) for line in group.strip().splitlines())
    modules = {name.strip(): value.strip() for name, value in entries.items()}
    for name, module in modules.items():
        assert module.startswith(("connectors.", "plugins.")), name
        assert (ROOT / module.replace(".", "/")).is_dir() or (ROOT / (module.replace(".", "/") + ".py")).exists()
