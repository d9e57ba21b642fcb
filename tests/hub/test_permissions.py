"""I5: every permission a role is granted is checked by some view (no dead grants)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from hub import create_app
from hub.auth.principals import PERMISSIONS


@pytest.fixture
def full_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app_config["LOAD_ENTRYPOINTS"] = True  # every built-in plugin and connector, with their views
    app = create_app(app_config)
    yield app
    app.extensions["hub"].db.dispose()


def _permissions_of(view: Any) -> set[str]:
    found: set[str] = set()
    pending = [view]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        if getattr(current, "hub_permission", None):
            found.add(current.hub_permission)
        pending.append(getattr(current, "__wrapped__", None))
        view_class = getattr(current, "view_class", None)  # a MethodView: its methods carry the checks
        if view_class is not None:
            pending += [getattr(view_class, method.lower(), None) for method in view_class.methods or ()]
    return found


def test_every_granted_permission_is_checked_somewhere(full_app: Flask) -> None:
    checked = set().union(*(_permissions_of(view) for view in full_app.view_functions.values()))
    # requires("tickets:read") also admits "tickets:read:own" (a requester's own tickets).
    checked |= {f"{permission}:own" for permission in checked if permission.endswith(":read")}
    granted = set().union(*PERMISSIONS.values())
    assert granted - checked == set(), "granted but never checked: remove them or check them in a view"
