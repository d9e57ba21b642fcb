"""Every API error as application/problem+json (RFC 9457), from one set of handlers.

Views raise; they never build error responses. Domain errors carry their status, HTTP
errors keep theirs, validation errors list each field, a database that is away answers
503 with Retry-After, and anything unexpected is logged and answered 500 without
internals. Pages get the same errors as readable HTML (hub.ui registers its own).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from hub.core.crypto import SecretsUnreadable
from hub.sdk.tracker_errors import TrackerError
from hub.sdk.web import PROBLEM_TYPE as PROBLEM_TYPE
from hub.sdk.web import problem as problem

log = logging.getLogger("hub.api")

RETRY_AFTER_SECONDS = 5


def _kind(name: str) -> str:
    out = "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
    return out


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location (json, query, ...); clients want field -> messages."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                key = str(key)
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    if isinstance(messages, dict):
        for location in ("json", "query", "form", "files", "headers", "view_args", "path"):
            if location in messages:
                walk("", messages.pop(location))
    walk("", messages or {})
    return flat


def handle_tracker_error(exc: TrackerError) -> Response:
    return problem(exc.status, exc.title, exc.detail, kind=_kind(type(exc).__name__), **exc.extra)


def handle_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if status == 422 and messages is not None:
        return problem(422, "Validation failed", "Some fields are not valid.", kind="validation-failed",
                       errors=flatten_messages(messages))
    headers = {}
    valid_methods = getattr(exc, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="itsm-hub"'
    detail = data.get("message") if isinstance(data, dict) and data.get("message") else exc.description
    return problem(status, exc.name, detail, headers=headers)


def handle_stale(exc: StaleDataError) -> Response:
    return problem(409, "Conflict", "Someone else changed this record at the same moment; read it again and retry.",
                   kind="concurrent-update")


def handle_database_away(exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return problem(503, "Service unavailable", "The database is not reachable; nothing was stored. Retry shortly.",
                   kind="database-unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_redis_away(exc: Exception) -> Response:
    log.warning("Redis unavailable: %s", exc)
    return problem(503, "Service unavailable", "The job queue (Redis) is not reachable; tickets and events are "
                   "still accepted, but this view needs it. Retry shortly.", kind="queue-unavailable",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_secrets_unreadable(exc: Exception) -> Response:
    # An operator's mistake (a key dropped from HUB_ENCRYPTION_KEYS), not the caller's: say so.
    log.error("connector secrets unreadable: %s", exc)
    return problem(503, "Service unavailable", "This connector's stored secrets cannot be decrypted with the "
                   "configured HUB_ENCRYPTION_KEYS; nothing was stored. An operator must restore the key.",
                   kind="secrets-unreadable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "Internal server error", "The hub hit an unexpected error; it has been logged.")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def register_problem_handlers(app: Flask) -> None:
    """Answer API errors as problem+json; other paths defer to the UI's handlers if any."""

    def dispatch(handler: Any) -> Any:
        def respond(exc: Exception) -> Any:
            if is_api_request() or "ui_error" not in app.extensions:
                return handler(exc)
            return app.extensions["ui_error"](exc, handler)

        return respond

    app.register_error_handler(TrackerError, dispatch(handle_tracker_error))
    app.register_error_handler(HTTPException, dispatch(handle_http_error))
    app.register_error_handler(StaleDataError, dispatch(handle_stale))
    app.register_error_handler(PoolTimeout, dispatch(handle_database_away))
    app.register_error_handler(OperationalError, dispatch(_operational))
    app.register_error_handler(DBAPIError, dispatch(_operational))
    app.register_error_handler(RedisError, dispatch(handle_redis_away))
    app.register_error_handler(SecretsUnreadable, dispatch(handle_secrets_unreadable))
    app.register_error_handler(Exception, dispatch(handle_unexpected))


def _operational(exc: DBAPIError) -> Response:
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return handle_database_away(exc)
    return handle_unexpected(exc)
