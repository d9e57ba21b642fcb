"""Settings: precedence, parsing, errors that name the setting, docs kept equal."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.app.settings import SETTINGS, SettingsError, load_settings
from hub.app.settings_docs import render_example_toml, render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_anything() -> None:
    settings = load_settings(environ={})
    assert settings["DATABASE_URL"] == ""
    assert settings["OUTBOX_MAX_ATTEMPTS"] == 8
    assert settings["LOAD_PLUGINS"] == []


def test_precedence_defaults_file_env_overrides(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('OUTBOX_MAX_ATTEMPTS = 3\nBASE_URL = "https://file.example"\nLOG_LEVEL = "DEBUG"\n')
    environ = {"HUB_CONFIG_FILE": str(config), "HUB_BASE_URL": "https://env.example", "HUB_LOG_LEVEL": "WARNING"}
    settings = load_settings({"LOG_LEVEL": "ERROR"}, environ=environ)
    assert settings["OUTBOX_MAX_ATTEMPTS"] == 3  # file over default
    assert settings["BASE_URL"] == "https://env.example"  # environment over file
    assert settings["LOG_LEVEL"] == "ERROR"  # test override over environment


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HUB_DB_POOL_SIZE": "ten"}, "HUB_DB_POOL_SIZE"),
        ({"HUB_AUTO_MIGRATE": "perhaps"}, "HUB_AUTO_MIGRATE"),
        ({"HUB_DATABASE_URL": "mysql://x"}, "HUB_DATABASE_URL"),
        ({"HUB_REDIS_URL": "localhost:6379"}, "HUB_REDIS_URL"),
        ({"HUB_LOG_FORMAT": "xml"}, "HUB_LOG_FORMAT"),
        ({"HUB_PRIORITY_MATRIX": "[1]"}, "HUB_PRIORITY_MATRIX"),
        ({"HUB_PRIORITY_MATRIX": "{not json"}, "HUB_PRIORITY_MATRIX"),
        ({"HUB_DATABSE_URL": "sqlite://"}, "HUB_DATABSE_URL"),
        ({"HUB_CONFIG_FILE": "/nonexistent/hub.toml"}, "HUB_CONFIG_FILE"),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)


def test_bad_toml_and_unknown_key_in_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("THIS IS = = not toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(environ={"HUB_CONFIG_FILE": str(broken)})
    typo = tmp_path / "typo.toml"
    typo.write_text('DATABASE_UR = "sqlite://"\n')
    with pytest.raises(SettingsError, match="unknown setting 'DATABASE_UR'"):
        load_settings(environ={"HUB_CONFIG_FILE": str(typo)})


def test_postgres_urls_are_made_psycopg3() -> None:
    for given in ("postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"):
        assert load_settings(environ={"HUB_DATABASE_URL": given})["DATABASE_URL"] == "postgresql+psycopg://u@h/db"


def test_lists_and_booleans_parse() -> None:
    settings = load_settings(environ={"HUB_LOAD_PLUGINS": "webhook, email,,sla", "HUB_TRACE_PLUGINS": "yes"})
    assert settings["LOAD_PLUGINS"] == ["webhook", "email", "sla"]
    assert settings["TRACE_PLUGINS"] is True


def test_test_variables_are_not_settings() -> None:
    assert "TEST_DATABASE_URL" not in load_settings(environ={"HUB_TEST_DATABASE_URL": "x"})


def test_benchmark_variables_are_not_settings() -> None:
    """bench/profile_ingest.py builds an app in its own process with HUB_BENCH_POSTGRES set."""
    settings = load_settings(environ={"HUB_BENCH_POSTGRES": "postgresql://x", "HUB_BENCH_REDIS": "redis://x"})
    assert "BENCH_POSTGRES" not in settings and "BENCH_REDIS" not in settings


def test_every_setting_is_documented_and_the_docs_are_current() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    assert docs == render_markdown(), "run `itsm-hub config docs` and commit the result"
    assert (ROOT / "config" / "hub.example.toml").read_text() == render_example_toml()
    for setting in SETTINGS:
        assert f"`{setting.env_name}`" in docs
        assert setting.doc


def test_example_toml_is_loadable(tmp_path: Path) -> None:
    """Uncommenting every line of the example gives a valid configuration."""
    lines = [line[2:] for line in render_example_toml().splitlines() if line.startswith("# ") and " = " in line]
    uncommented = tmp_path / "all.toml"
    uncommented.write_text("\n".join(lines) + "\n")
    settings = load_settings(environ={"HUB_CONFIG_FILE": str(uncommented)})
    assert settings["DATABASE_URL"].startswith("postgresql+psycopg://")
