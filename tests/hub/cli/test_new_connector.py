"""`itsm-hub new-connector`: the package it writes passes its own tests as generated."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import get_cli
from hub.cli.new_connector_cmd import KINDS, Names, package_files


def generate(tmp_path: Path, name: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(get_cli(), ["new-connector", name, "--directory", str(tmp_path / name), *args])
    return result.exit_code, result.output


def run_its_tests(package: Path) -> subprocess.CompletedProcess[str]:
    # The author's own pytest run, in a process of its own: none of this suite's options leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"],
                          cwd=package, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_generated_package_passes_its_tests_unchanged(tmp_path: Path, kind: str) -> None:
    code, output = generate(tmp_path, f"acme-{kind}", "--kind", kind)
    assert code == 0, output
    ran = run_its_tests(tmp_path / f"acme-{kind}")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout and "failed" not in ran.stdout
    # The hub's contract ran, not only the package's own tests.
    assert "test_metadata_complete" in subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly"], cwd=tmp_path / f"acme-{kind}",
        capture_output=True, text=True, timeout=600, check=False).stdout


def test_the_package_registers_its_connector_under_the_hub_entry_point(tmp_path: Path) -> None:
    code, output = generate(tmp_path, "plant-alarms", "--kind", "listener")
    assert code == 0, output
    setup = configparser.ConfigParser()
    setup.read(tmp_path / "plant-alarms" / "setup.cfg")
    assert setup["metadata"]["name"] == "hub-connector-plant-alarms"
    assert setup["options.entry_points"]["itsm_hub"].strip() == "plant-alarms = hub_plant_alarms"
    init = (tmp_path / "plant-alarms" / "src" / "hub_plant_alarms" / "__init__.py").read_text()
    assert "from hub_plant_alarms.connector import PlantAlarms" in init
    assert "Wrote 6 files" in output and "pip install -e '.[test]'" in output


def test_every_kind_imports_only_the_sdk_and_hookspecs() -> None:
    for kind in KINDS:
        files = package_files(Names("acme", kind))
        code = files["src/hub_acme/connector.py"] + files["src/hub_acme/__init__.py"]
        imported = {line.split()[1] for line in code.splitlines() if line.startswith(("from hub", "import hub"))}
        outside = {name for name in imported if name != "hub.hookspecs" and name.split(".")[:2] != ["hub", "sdk"]}
        assert not outside, (kind, outside)  # hub.sdk and its submodules (hub.sdk.sync), hub.hookspecs


@pytest.mark.parametrize("name", ["Acme", "acme_alarms", "acme-", "acme--x", "1acme", "a" * 41, "class"])
def test_a_bad_name_is_refused_with_how_to_spell_it(tmp_path: Path, name: str) -> None:
    code, output = generate(tmp_path, name)
    assert code == 2
    assert "lower-case letters" in output or "Python keyword" in output
    assert not (tmp_path / name).exists()


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    code, output = generate(tmp_path, "acme", "--kind", "carrier-pigeon")
    assert code == 2
    assert "polling" in output and "pusher" in output


def test_a_folder_with_files_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "mine.txt").write_text("keep me")
    code, output = generate(tmp_path, "acme")
    assert code == 1
    assert "not empty" in output
    assert sorted(path.name for path in (tmp_path / "acme").iterdir()) == ["mine.txt"]


def test_the_default_folder_is_named_after_the_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(get_cli(), ["new-connector", "shop-orders", "--kind", "webhook"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "hub-connector-shop-orders" / "src" / "hub_shop_orders" / "connector.py").is_file()


def test_names_are_spelled_for_each_place() -> None:
    names = Names("acme-line-alarms", "listener")
    assert (names.slug, names.module, names.dist, names.cls, names.title) == (
        "acme-line-alarms", "hub_acme_line_alarms", "hub-connector-acme-line-alarms", "AcmeLineAlarms",
        "Acme Line Alarms")
