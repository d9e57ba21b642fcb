"""The core knows no connector, and connectors and plugins know only the SDK.

Built-in connectors and plugins are written as a third party would write theirs: they
import ``hub.sdk`` (with ``hub.sdk.web`` and ``hub.sdk.services``), ``hub.hookspecs`` and the
tracker (``hub.tracker``), never the core's other modules, and the core imports none of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("hub.sdk", "hub.hookspecs", "hub.tracker")


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["connectors", "plugins"])
def test_connectors_and_plugins_import_only_the_sdk(folder: str) -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line}: {module}" for path in python_files(folder)
             for line, module in imports(path)
             if (module == "hub" or module.startswith("hub.")) and not module.startswith(ALLOWED)]
    assert not wrong, "import these through hub.sdk (web, services) instead:\n" + "\n".join(wrong)


def test_the_core_imports_no_connector_or_plugin() -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line}: {module}" for path in python_files("hub")
             for line, module in imports(path) if module.split(".")[0] in ("connectors", "plugins")]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from hub.models import Ticket\nfrom hub.sdk import RawEvent\n")
    assert imports(sample) == [(1, "hub.models"), (2, "hub.sdk")]
