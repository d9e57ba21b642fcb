"""Rate limits on sign-in and public endpoints, counted in the hub's Redis (Flask-Limiter).

A view declares its limits with ``@rate_limited(...)``, a marker like ``@public``;
``apply_rate_limits`` wraps every marked view with the app's own Limiter once the
blueprints are mounted, so a connector's blueprint gets limits without reaching for the
app. Counts live in Redis under the hub's ``QUEUE_PREFIX``, so every web node shares
them. Clients are told apart by ``request.remote_addr``, which ``HUB_TRUSTED_PROXIES``
makes the client's own address behind a reverse proxy (hub.app.serving).

When Redis is away each process counts in its own memory until it is back: a limit may
then let a little more through, but nothing is refused (or lost) because of the outage.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_limiter import Limiter, RateLimitExceeded
from werkzeug.exceptions import TooManyRequests

from hub.api.problems import handle_http_error, is_api_request
from hub.core.runtime import Runtime
from hub.sdk.web import RateLimit as RateLimit
from hub.sdk.web import client_address as client_address
from hub.sdk.web import rate_limited as rate_limited
from hub.sdk.web import retry_after as retry_after

log = logging.getLogger("hub.limits")
F = TypeVar("F", bound=Callable[..., Any])


def hashed(value: str) -> str:
    """A key part that does not store the value itself in Redis (a status link is a secret)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _storage_uri(runtime: Runtime) -> str:
    configured = str(runtime.settings.get("REDIS_URL") or "")
    if not configured:
        from hub.core.redis import embedded_socket

        return f"redis+unix://{embedded_socket(runtime.instance_path)}"
    return "redis+unix://" + configured.removeprefix("unix://") if configured.startswith("unix://") else configured


def init_rate_limits(app: Flask, runtime: Runtime) -> Limiter:
    limiter = Limiter(
        key_func=client_address,
        storage_uri=_storage_uri(runtime),
        # Short timeouts: a Redis that hangs must not hang sign-in; the fallback takes over.
        storage_options={"socket_connect_timeout": 2, "socket_timeout": 2},
        key_prefix=f"{runtime.settings.get('QUEUE_PREFIX', 'hub')}:limits",
        strategy="sliding-window-counter",
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    app.extensions["hub.limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _over_the_limit)
    if not runtime.settings.get("REDIS_URL"):
        _start_embedded_redis_on_first_request(app, runtime)
    return limiter


def _start_embedded_redis_on_first_request(app: Flask, runtime: Runtime) -> None:
    """The embedded Redis starts with the first process that needs it (hub.core.redis)."""
    started: list[bool] = []

    @app.before_request
    def start_embedded_redis() -> None:
        if started:
            return
        started.append(True)
        try:
            runtime.redis.ping()
        except Exception as exc:  # counted in memory until it answers
            log.warning("rate limits count in memory: the embedded Redis did not start (%s)", exc)


def apply_rate_limits(app: Flask) -> None:
    """Wrap every view marked with ``rate_limited`` in the app's Limiter (once, at start-up)."""
    limiter: Limiter = app.extensions["hub.limiter"]
    for endpoint, view in list(app.view_functions.items()):
        marks = _marks(view)
        if not marks or getattr(view, "hub_limits_applied", False):
            continue
        wrapped: Any = view
        for mark in marks:
            options: dict[str, Any] = {"key_func": mark.key, "methods": list(mark.methods),
                                       "deduct_when": mark.count_when, "on_breach": mark.on_breach}
            decorate = (limiter.shared_limit(mark.limit, mark.scope, **options) if mark.scope
                        else limiter.limit(mark.limit, **options))
            wrapped = decorate(wrapped)
        wrapped.hub_limits_applied = True
        app.view_functions[endpoint] = wrapped


def _marks(view: Any) -> list[RateLimit]:
    while view is not None:
        if getattr(view, "hub_rate_limits", None):
            return list(view.hub_rate_limits)
        view = getattr(view, "__wrapped__", None)
    return []


def _over_the_limit(exc: RateLimitExceeded) -> Any:
    """The view's own answer when it has one; otherwise 429 through the hub's error handlers."""
    if exc.response is not None:
        return exc.response
    refusal = TooManyRequests("Too many requests; wait a little and try again.")
    ui_error = current_app.extensions.get("ui_error")
    if is_api_request() or ui_error is None:
        return handle_http_error(refusal)
    return ui_error(refusal, handle_http_error)
