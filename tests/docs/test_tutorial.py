"""The connector tutorial is the scaffold's real output, and both packages pass their tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import get_cli
from hub.cli.new_connector_cmd import Names, package_files

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "writing-a-connector.md"
EXAMPLE = ROOT / "examples" / "hub-connector-example"
BLOCK = re.compile(r'```\w+ title="([^"]+)"\n(.*?)```\n', re.DOTALL)
PACKAGE = "hub-connector-acme-records/"


def blocks() -> dict[str, str]:
    return {path.removeprefix(PACKAGE): code for path, code in BLOCK.findall(TUTORIAL.read_text())}


def test_every_file_block_in_the_tutorial_is_what_the_scaffold_writes() -> None:
    generated = package_files(Names("acme-records", "polling"))
    shown = blocks()
    assert set(shown) == {"setup.cfg", "src/hub_acme_records/__init__.py", "src/hub_acme_records/connector.py",
                          "tests/test_hub_acme_records.py", "tests/remote.py"}
    for path, code in shown.items():
        assert code == generated[path], f"docs/writing-a-connector.md shows an old {path}: regenerate it"


@pytest.mark.slow
def test_the_tutorial_package_passes_its_tests_as_the_tutorial_says(tmp_path: Path) -> None:
    result = CliRunner().invoke(get_cli(), ["new-connector", "acme-records", "--kind", "polling",
                                            "--directory", str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"],
                         cwd=tmp_path / "pkg", env=env, capture_output=True, text=True, timeout=900, check=False)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "11 passed, 1 skipped" in ran.stdout  # the count the tutorial's first step promises
    assert "11 passed, 1 skipped" in TUTORIAL.read_text()


def test_the_tutorial_names_only_importable_things() -> None:
    """Every `from hub... import ...` and dotted hub name the tutorial mentions exists."""
    import importlib

    text = TUTORIAL.read_text()
    for module, names in re.findall(r"from (hub[\w.]*) import ([\w, ]+)", text):
        loaded = importlib.import_module(module)
        for name in (part.strip() for part in names.split(",")):
            assert hasattr(loaded, name), f"{module}.{name}"
    for dotted in set(re.findall(r"`(hub(?:\.\w+)+)`", text)):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                assert hasattr(obj, attribute), dotted
                obj = getattr(obj, attribute)
            break
        else:
            pytest.fail(f"{dotted} does not import")


def test_the_example_package_passes_the_contract() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE / "src"), str(ROOT)])}
    result = subprocess.run([sys.executable, "-m", "pytest", str(EXAMPLE), "-q", "-p", "no:cacheprovider"],
                            cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "10 passed" in result.stdout


def test_the_helpers_the_tutorial_names_import_from_hub_testing() -> None:
    import hub.testing

    for name in ("build", "event_info", "sample_ticket", "default_push_message", "check_draft"):
        assert f"`{name}`" in TUTORIAL.read_text()
        assert name in hub.testing.__all__ and callable(getattr(hub.testing, name))
