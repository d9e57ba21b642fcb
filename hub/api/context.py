"""What views need from the request: the runtime, a unit of work, the actor, ETags."""

from __future__ import annotations

from flask import current_app, g, request
from werkzeug.exceptions import Unauthorized

from hub.auth.principals import Principal
from hub.core.runtime import Runtime
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import PreconditionFailed
from hub.sdk.web import reading as reading  # one definition, shared with plugins' pages
from hub.sdk.web import unit_of_work as unit_of_work


def runtime() -> Runtime:
    return current_app.extensions["hub"]


def principal() -> Principal:
    found = g.get("principal")
    if found is None:
        raise Unauthorized("Not signed in.")
    return found


def actor(origin: str = "api") -> Actor:
    return principal().actor(origin)


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version() -> int | None:
    """The version named by If-Match, None when absent or ``*``; 412 when unreadable."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    # Versions are 32-bit counters: ten digits at most, and a longer number is no version
    # (nor something int() should be asked to read).
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise PreconditionFailed(f"If-Match must be an ETag this API sent, like \"3\"; got {header!r}.")
    return int(value)
