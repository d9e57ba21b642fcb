"""The app factory: start-up checks, keys kept in the instance folder, readiness."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from hub import create_app
from hub.app.migrate import SchemaBehind
from hub.app.settings import SettingsError


def test_refuses_an_empty_or_old_schema_and_names_the_fix(tmp_path: Path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "LOAD_ENTRYPOINTS": False}
    with pytest.raises(SchemaBehind, match="itsm-hub db upgrade"):
        create_app(config)


def test_auto_migrate_upgrades_an_empty_database(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "LOAD_ENTRYPOINTS": False, "AUTO_MIGRATE": True})
    assert (tmp_path / "hub.sqlite3").exists()
    app.extensions["hub"].db.dispose()


def test_generated_keys_are_kept_private_and_reused(tmp_path: Path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "LOAD_ENTRYPOINTS": False, "AUTO_MIGRATE": True}
    first = create_app(config)
    second = create_app(config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    for name in ("secret_key", "encryption.key"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600, name
    first.extensions["hub"].db.dispose()
    second.extensions["hub"].db.dispose()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"ENCRYPTION_KEYS": "not-a-key"}, "HUB_ENCRYPTION_KEYS"),
        ({"PRIORITY_MATRIX": '{"high": {"low": 9}}'}, "HUB_PRIORITY_MATRIX"),
        ({"INSTANCE_PATH": "/proc/cannot-make-this"}, "HUB_INSTANCE_PATH"),
    ],
)
def test_bad_settings_stop_start_up_naming_them(tmp_path: Path, override: dict[str, Any], message: str) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "LOAD_ENTRYPOINTS": False, "AUTO_MIGRATE": True, **override}
    with pytest.raises(SettingsError, match=message):
        create_app(config)


def test_request_id_is_echoed(api: Any) -> None:
    response = api.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert response.headers["X-Request-Id"] == "abc123"
    assert len(api.get("/healthz").headers["X-Request-Id"]) == 16


def test_openapi_document_lists_the_fixed_interface(anonymous: Any) -> None:
    spec = anonymous.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path in ("/api/v1/incidents", "/api/v1/incidents/{ref}", "/api/v1/incidents/{ref}/transitions",
                 "/api/v1/incidents/{ref}/audit", "/api/v1/changes", "/api/v1/changes/{ref}/approvals"):
        assert path in paths, path
    assert set(paths["/api/v1/incidents/{ref}"]) >= {"get", "patch"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_readyz_reports_each_dependency(app_config: dict[str, Any]) -> None:
    app_config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app = create_app(app_config)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("unreachable")
    assert response.headers["Retry-After"] == "5"
    app.extensions["hub"].db.dispose()


def test_wsgi_module_builds_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HUB_AUTO_MIGRATE", "true")
    monkeypatch.setenv("HUB_LOAD_ENTRYPOINTS", "false")
    sys.modules.pop("wsgi", None)
    module = importlib.import_module("wsgi")
    assert module.app.name == "hub"
    module.app.extensions["hub"].db.dispose()
    sys.modules.pop("wsgi", None)
