"""The insight dashboard at /insights (CSV at /insights.csv, JSON at /api/v1/insights): MTTA,
MTTR, SLA compliance, backlog and its age, volume by day, source, department and category,
satisfaction, and the machines and alarms that recur most. For agents and admins."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl


@hookimpl
def register_blueprints() -> list[Any]:
    from plugins.insights import at_risk
    from plugins.insights.views import make_blueprint

    return [make_blueprint(), at_risk.make_blueprint()]


@hookimpl
def register_menu_items() -> list[Any]:
    from hub.sdk.web import MenuItem

    return [MenuItem("Insights", "insights.dashboard", "tickets:write", key="i", order=40)]
