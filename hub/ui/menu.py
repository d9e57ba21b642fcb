"""The main menu: the hub's own entries and those plugins register, as the user may see them."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, url_for

from hub.auth.principals import Principal
from hub.sdk.i18n import N_, gettext
from hub.sdk.web import MenuItem as MenuItem  # declared in the SDK; plugins make them

log = logging.getLogger("hub.ui")

CORE_ITEMS = (
    MenuItem(N_("Tickets"), "ui_tickets.ticket_list", "tickets:read", key="t", order=10),
    MenuItem(N_("Log a call"), "ui_tickets.log_call", "tickets:write", key="l", order=15),
    MenuItem(N_("My work"), "ui_tickets.my_work", "tickets:read", key="m", order=20),
    MenuItem(N_("Changes"), "ui_tickets.change_list", "tickets:read", order=30),
    MenuItem(N_("Change calendar"), "ui_tickets.change_calendar", "tickets:read", order=32),
    MenuItem(N_("My change tasks"), "ui_tickets.my_tasks", "tickets:read", order=33),
    MenuItem(N_("Problems"), "ui_tickets.problem_list", "tickets:read", order=34),
    MenuItem(N_("Customers"), "ui_tickets.customer_list", "customers:read", order=35),
    MenuItem(N_("Canned replies"), "ui_tickets.canned_replies", "tickets:write", order=40),
    MenuItem(N_("Organisation"), "ui_admin.org_index", "admin", order=85),
    MenuItem(N_("Admin"), "ui_admin.index", "admin", order=90),
)


def nav_items(user: Principal) -> list[dict[str, Any]]:
    runtime = current_app.extensions["hub"]
    items: list[tuple[MenuItem, str | None]] = [(item, None) for item in CORE_ITEMS]
    if runtime.plugins.has_impls("register_menu_items"):
        for impl in runtime.plugins.hook.register_menu_items.get_hookimpls():
            items.extend((item, impl.plugin_name) for item in impl.function() or [])
    shown = []
    for item, plugin in sorted(items, key=lambda pair: pair[0].order):
        if item.endpoint not in current_app.view_functions:
            continue
        if item.permission and not user.can(item.permission):
            continue
        if plugin and runtime.plugins.records[plugin].kind != "core" and not runtime.plugins.is_enabled(plugin):
            continue
        # In the user's language where a catalogue has the label (a plugin's may not).
        shown.append({"label": gettext(item.label), "url": url_for(item.endpoint), "key": item.key,
                      "badge": _badge(item, user, plugin)})
    return shown


def _badge(item: MenuItem, user: Principal, plugin: str | None) -> int | None:
    """The item's count; a failing count is the plugin's fault, logged, and never costs the page."""
    if item.badge is None:
        return None
    try:
        count = item.badge(user)
    except Exception:
        log.exception("the menu badge of %s (plugin %s) failed", item.endpoint, plugin)
        return None
    return count if isinstance(count, int) and count > 0 else None
