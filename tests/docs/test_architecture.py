"""docs/architecture.md names real modules and functions, and draws the layers setup.cfg checks."""

from __future__ import annotations

import configparser
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text()


def resolves(dotted: str) -> bool:
    """A module, or an attribute of the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_every_named_module_and_function_exists() -> None:
    named = set(re.findall(r"`((?:hub|connectors|plugins)(?:\.\w+)+)`", PAGE))
    assert len(named) > 40  # the page names the real code, not a sketch of it
    missing = sorted(name for name in named if not resolves(name))
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_every_subpackage_of_hub_has_its_paragraph() -> None:
    packages = sorted(path.parent.name for path in (ROOT / "hub").glob("*/__init__.py"))
    missing = [name for name in packages if name != "testing" and f"**`hub.{name}`**" not in PAGE]
    assert not missing, missing


def test_the_diagram_follows_the_layers_contract() -> None:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    layers = [line.split("|")[0].strip() for line in
              parser["importlinter:contract:layers"]["layers"].splitlines() if line.strip()]
    diagram = PAGE[PAGE.index("```mermaid"):PAGE.index("```", PAGE.index("```mermaid") + 3)]
    positions = [diagram.index(f"[{layer}]") for layer in layers]
    assert positions == sorted(positions), "the diagram's order differs from setup.cfg's layers"
