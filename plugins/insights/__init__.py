"""The insight dashboard at /insights (CSV at /insights.csv, JSON at /api/v1/insights): MTTA,
MTTR, SLA compliance, backlog and its age, volume by day, source, department and category,
satisfaction, and the machines and alarms that recur most; over time, satisfaction and
response and resolution times by customer, organisation, department, category or service,
faults per machine, changes by outcome, change-caused incidents, problems, and the cost of
complaints from a cost per ticket kind (this plugin's settings). For agents and admins."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl


@hookimpl
def declare_settings() -> type[Any]:
    from plugins.insights.settings import InsightsSettings

    return InsightsSettings


@hookimpl
def register_blueprints() -> list[Any]:
    from plugins.insights import at_risk
    from plugins.insights.views import make_blueprint

    return [make_blueprint(), at_risk.make_blueprint()]


@hookimpl
def register_menu_items() -> list[Any]:
    from hub.sdk.web import MenuItem

    return [MenuItem("Insights", "insights.dashboard", "tickets:write", key="i", order=40)]
