"""What connector and plugin pages take from the hub: one import, not the core's modules.

A connector's public form, a plugin's admin page or dashboard is a Flask blueprint
(``register_blueprints``) with a menu entry (``register_menu_items``). They reach the
database, the signed-in user, CSRF and the page shell through the names below, so the
core can move its own modules without breaking a package written against the SDK.
"""

from __future__ import annotations

from typing import Any

from hub.api.context import reading, runtime, unit_of_work
from hub.api.problems import problem
from hub.api.throttle import client_address, rate_limited, retry_after
from hub.auth.web import current_principal, public
from hub.ui.auth import login_required
from hub.ui.csrf import csrf_exempt
from hub.ui.forms import describe_error, field_errors
from hub.ui.menu import MenuItem

__all__ = [
    "MenuItem",
    "client_address",
    "csrf_exempt",
    "current_principal",
    "describe_error",
    "field_errors",
    "flat_messages",
    "login_required",
    "problem",
    "public",
    "rate_limited",
    "reading",
    "retry_after",
    "runtime",
    "unit_of_work",
]


def flat_messages(messages: Any, path: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages by dotted path, for showing each beside its input:
    ``{"rules": {2: {"name": [..]}}}`` becomes ``{"rules.2.name": [..]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            inner = path if key == "_schema" else f"{path}.{key}".strip(".")
            for found, texts in flat_messages(value, inner).items():
                out.setdefault(found, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for item in messages:
            for found, texts in (flat_messages(item, path) if isinstance(item, dict | list | tuple)
                                 else {path: [str(item)]}).items():
                out.setdefault(found, []).extend(texts)
    else:
        out[path] = [str(messages)]
    return out
