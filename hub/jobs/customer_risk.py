"""The hourly check of the "no answer for N days" risk rule (hub.app.customer_risk_hooks)."""

from __future__ import annotations

from hub.jobs.tasks import current_runtime
from hub.plugins.admin import effective_settings
from hub.tracker.customer_risk import RiskRules
from hub.tracker.customer_risk_checks import check_quiet

SETTINGS_OF = "hub.customer-risk"


def check_quiet_customers() -> int:
    """Flag the customers whose open tickets nobody answered; returns how many reasons were new."""
    runtime = current_runtime()
    with runtime.db.transaction() as session:
        return check_quiet(session, RiskRules.from_settings(effective_settings(session, SETTINGS_OF)))
