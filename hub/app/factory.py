"""The Flask application factory."""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import select

from hub.api import init_api
from hub.api.converters import IdConverter
from hub.api.throttle import apply_rate_limits, init_rate_limits
from hub.app import hub_services as hub_services_module
from hub.app import services as services_module
from hub.app.migrate import check_schema, upgrade
from hub.app.serving import BodyDeadline, TrustedProxies
from hub.app.settings import SettingsError, load_settings
from hub.auth.tokens import TokenChecker
from hub.auth.web import init_auth
from hub.core.crypto import SecretBox
from hub.core.db import Database
from hub.core.logs import configure_logging, request_id_var
from hub.core.routing import SharedBuilderRule
from hub.core.runtime import Runtime
from hub.jobs.scheduler import dispatch_lanes
from hub.models import PluginState
from hub.plugins.manager import get_plugin_manager
from hub.plugins.presence import record_new_plugins
from hub.sdk.hub_services import HubServices
from hub.sdk.tracker import TrackerServices
from hub.sdk.web import LOGIN_REQUIRED
from hub.tracker.priority import PriorityMatrix
from hub.ui import init_ui
from hub.ui.auth import login_required
from hub.ui.languages import init_languages

log = logging.getLogger("hub")


def _keep_file(path: Path, make: Any) -> str:
    """A value generated once and kept in the instance folder (readable by its owner only)."""
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _instance_path(settings: Mapping[str, Any], app: Flask) -> Path:
    path = Path(settings["INSTANCE_PATH"] or app.instance_path).resolve()
    try:
        # Owner only: it holds the database, the generated keys and the attachments.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"HUB_INSTANCE_PATH: cannot create {path}: {exc.strerror}") from None
    return path


def private_sqlite_file(url: str) -> None:
    """Keep a SQLite database readable by its owner only: a new file is created 600 (SQLite
    itself would make it 644, and its -wal and -shm files copy the database's mode); an
    older file that others can read is narrowed to its owner at start-up."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database.startswith(":memory:") \
            or parsed.database.startswith("file:"):
        return
    path = Path(parsed.database)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            _owner_only(file)
    except OSError:
        pass  # a folder that does not exist: SQLite's own error says so more clearly


def _owner_only(file: Path) -> None:
    try:
        mode = file.stat().st_mode
        if mode & 0o077:
            file.chmod(mode & 0o700)
            log.debug("made %s readable by its owner only", file)
    except OSError:
        pass  # not ours to change (or gone): SQLite still opens it as before


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hub: settings, database, plugins, API, pages; fails fast on bad settings."""
    settings = load_settings(config)
    app = Flask("hub")
    app.url_rule_class = SharedBuilderRule
    app.url_map.converters["int"] = IdConverter
    app.config.update(settings)
    configure_logging(settings["LOG_LEVEL"], settings["LOG_FORMAT"])
    instance = _instance_path(settings, app)
    app.config["INSTANCE_PATH"] = str(instance)
    app.config["SECRET_KEY"] = settings["SECRET_KEY"] or _keep_file(
        instance / "secret_key", lambda: secrets.token_urlsafe(48))
    keys = settings["ENCRYPTION_KEYS"] or [_keep_file(instance / "encryption.key", SecretBox.generate_key)]
    try:
        secret_box = SecretBox(keys)
    except ValueError as exc:
        raise SettingsError(f"HUB_ENCRYPTION_KEYS: {exc}") from None
    try:
        matrix = PriorityMatrix(settings["PRIORITY_MATRIX"])
    except ValueError as exc:
        raise SettingsError(f"HUB_{exc}") from None
    url = settings["DATABASE_URL"] or f"sqlite:///{instance / 'hub.sqlite3'}"
    app.config["DATABASE_URL"] = url
    private_sqlite_file(url)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_CONTENT_LENGTH"]
    db = Database(url, pool_size=settings["DB_POOL_SIZE"], max_overflow=settings["DB_MAX_OVERFLOW"])
    if settings["AUTO_MIGRATE"]:
        upgrade(db)
    else:
        check_schema(db)

    plugins = get_plugin_manager(
        load_entrypoints=settings["LOAD_ENTRYPOINTS"],
        only=settings["LOAD_PLUGINS"],
        extra=app.config.get("PLUGINS", ()),
        refresh_seconds=settings["PLUGIN_REFRESH_SECONDS"],
        trace=settings["TRACE_PLUGINS"],
        enable_new=settings["ENABLE_NEW_PLUGINS"],
    )
    # mypy checks the modules against the SDK's protocols here.
    tracker_services: TrackerServices = services_module
    hub_services: HubServices = hub_services_module
    runtime = Runtime(settings=app.config, db=db, plugins=plugins, secrets=secret_box, instance_path=instance,
                      matrix=matrix, lanes_committed=dispatch_lanes, services=tracker_services,
                      hub_services=hub_services)
    if "CLOCK" in app.config:
        runtime.clock = app.config["CLOCK"]
    app.extensions["hub"] = runtime
    app.extensions[LOGIN_REQUIRED] = login_required  # what hub.sdk.web.login_required hands over to

    def plugin_switches() -> list[tuple[str, bool, str | None]]:
        with db.reading() as session:
            return [(name, enabled, distribution) for name, enabled, distribution in session.execute(
                select(PluginState.name, PluginState.enabled, PluginState.distribution))]

    plugins.use_switch_source(plugin_switches)
    record_new_plugins(runtime)

    app.wsgi_app = TrustedProxies(BodyDeadline(app.wsgi_app, settings["REQUEST_BODY_SECONDS"]),  # type: ignore[method-assign]
                                  settings["TRUSTED_PROXIES"])
    try:
        init_languages(app)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    init_auth(app, TokenChecker(db, settings["TOKEN_CACHE_SECONDS"]))
    init_api(app)
    init_ui(app)
    _register_status_links(app)
    init_rate_limits(app, runtime)
    _mount_plugin_blueprints(app, runtime)
    apply_rate_limits(app)
    _install_request_hooks(app, runtime)
    plugins.hook.startup(app=app)
    return app


def _register_status_links(app: Flask) -> None:
    """Revoking a requester's status link: the API route and the ticket page's button."""
    from hub.api import status_links as api_status_links
    from hub.ui import status_links as ui_status_links

    app.extensions["hub.api"].register_blueprint(api_status_links.bp)
    app.register_blueprint(ui_status_links.bp)


def _mount_plugin_blueprints(app: Flask, runtime: Runtime) -> None:
    from hub.plugins.web import mount_plugin_blueprints

    mount_plugin_blueprints(app, runtime)


#: The API reference page (Redoc, served from /static): its script from here only; Redoc
#: styles itself inline and searches in a worker it makes from a blob.
API_DOCS_POLICY = ("default-src 'none'; script-src 'self'; worker-src blob:; style-src 'self' 'unsafe-inline'; "
                   "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'none'")


def _install_request_hooks(app: Flask, runtime: Runtime) -> None:
    @app.before_request
    def tag_request() -> None:
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        g.request_id = request_id[:64]
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers.setdefault("X-Request-Id", g.get("request_id", ""))
        if request.path.startswith("/api/v1/docs"):
            response.headers["Content-Security-Policy"] = API_DOCS_POLICY
        return response

    @app.teardown_request
    def flush_plugin_failures(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
        from hub.plugins.admin import flush_failures

        flush_failures(runtime)
