"""The core knows no connector, and connectors and plugins know only the SDK.

Built-in connectors and plugins are written as a third party would write theirs: they
import ``hub.sdk`` (the tracker through ``hub.sdk.tracker``) and ``hub.hookspecs``, never the
core's modules, and the core imports none of them. The import-linter contracts in setup.cfg
say the same for the whole graph (layers, the SDK boundary); the last test runs them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("hub.sdk", "hub.hookspecs")


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


def test_the_import_linter_contracts_hold() -> None:
    # The same command `make lint` runs; here so a plain pytest run catches a layer broken.
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
                          " sys.exit(lint_imports_command())", "--no-cache"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
