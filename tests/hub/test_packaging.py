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


def _requirements() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    lines = parser["options"]["install_requires"].splitlines()
    for extra in ("test", "dev"):
        lines += parser["options.extras_require"][extra].splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith(("%", "#"))]


def test_constraints_pin_every_requirement_within_its_bounds() -> None:
    """CI installs with constraints.txt: each direct requirement is pinned there, inside
    the range setup.cfg allows (a pin outside it would make pip refuse the install)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version
    for text in _requirements():
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt (make constraints)"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside {requirement.specifier}"


def test_majors_that_would_break_us_are_bounded() -> None:
    from packaging.requirements import Requirement

    unbounded = [text for text in _requirements()
                 if Requirement(text).name.lower() in {"flask", "sqlalchemy", "marshmallow", "pluggy", "rq",
                                                       "alembic", "paho-mqtt", "asyncua", "flask-limiter"}
                 and "<" not in text]
    assert not unbounded
