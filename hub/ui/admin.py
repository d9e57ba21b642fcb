"""Admins' pages: the start page with what needs attention; the sections live in hub/ui/admin_*.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from sqlalchemy import func, select

from hub.api.context import reading
from hub.models import ApiToken, ConfigurationItem, ConnectorInstance, Department, InboundEvent, OutboxMessage, User
from hub.plugins.admin import list_plugins
from hub.plugins.references import missing_references
from hub.ui.auth import login_required

bp = Blueprint("ui_admin", __name__, url_prefix="/admin")


def _count(session: Any, query: Any) -> int:
    return int(session.scalar(query) or 0)


@bp.get("/")
@login_required("admin")
def index() -> Any:
    with reading() as session:
        plugins = list_plugins(session)
        summary = {
            "plugins": len(plugins),
            "plugins_failing": sum(1 for p in plugins if p.status == "failed" or p.failure_count),
            "plugins_disabled": sum(1 for p in plugins if p.status == "disabled"),
            "instances": _count(session, select(func.count(ConnectorInstance.id))),
            "instances_erroring": _count(session, select(func.count(ConnectorInstance.id)).where(
                ConnectorInstance.last_error.is_not(None))),
            "quarantined": _count(session, select(func.count(InboundEvent.id)).where(
                InboundEvent.status == "quarantined")),
            "dead": _count(session, select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "dead")),
            "users": _count(session, select(func.count(User.id)).where(User.active.is_(True))),
            "tokens": _count(session, select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))),
            "departments": _count(session, select(func.count(Department.id))),
            "items": _count(session, select(func.count(ConfigurationItem.id))),
        }
        missing = missing_references(session)
        plugin_names = {plugin.name for plugin in plugins}
    fix_links = {m.source: url_for("ui_admin.plugin_settings", name=m.source) if m.source in plugin_names
                 else url_for("ui_admin.instance_page", slug=m.source) for m in missing}
    return render_template("ui/admin/index.html", summary=summary, missing=missing, fix_links=fix_links)
