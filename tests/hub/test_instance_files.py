"""The instance folder and the SQLite database are readable by their owner only (D21)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Any:
    import os

    previous = os.umask(0o022)  # what most servers run with
    yield
    os.umask(previous)


def test_a_fresh_hub_keeps_its_files_to_its_owner(tmp_path: Path, loose_umask: None) -> None:
    from hub import create_app

    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "AUTO_MIGRATE": True, "LOAD_ENTRYPOINTS": False,
                      "PLUGINS": [], "REDIS_URL": "redis://127.0.0.1:6379/15"})
    try:
        with app.extensions["hub"].db.transaction() as session:
            from hub.auth.users import create_user

            create_user(session=session, username="someone", role="agent", password="correct horse battery")
        assert _mode(instance) == 0o700
        files = {path.name: _mode(path) for path in instance.iterdir()}
        assert files["hub.sqlite3"] == 0o600
        assert files["secret_key"] == 0o600 and files["encryption.key"] == 0o600
        for name in ("hub.sqlite3-wal", "hub.sqlite3-shm"):
            if name in files:  # SQLite gives them the database's own mode
                assert files[name] == 0o600, name
    finally:
        app.extensions["hub"].db.dispose()


def test_db_upgrade_on_a_fresh_folder_creates_it_private(tmp_path: Path, loose_umask: None) -> None:
    from hub.cli import HubContext, get_cli

    instance = tmp_path / "fresh"
    context = HubContext({"INSTANCE_PATH": str(instance)})
    result = CliRunner().invoke(get_cli(), ["db", "upgrade"], obj=context, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _mode(instance) == 0o700 and _mode(instance / "hub.sqlite3") == 0o600


def test_an_existing_readable_database_is_narrowed_to_its_owner(tmp_path: Path) -> None:
    from hub.app.factory import private_sqlite_file

    database = tmp_path / "old.sqlite3"
    for path in (database, tmp_path / "old.sqlite3-wal"):
        path.write_bytes(b"")
        path.chmod(0o644)
    private_sqlite_file(f"sqlite:///{database}")
    assert _mode(database) == 0o600 and _mode(tmp_path / "old.sqlite3-wal") == 0o600
