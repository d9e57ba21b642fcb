"""Opening a problem from a row of "What fails most": the incidents that row counts, linked to
one new problem, so a recurring fault gets investigated instead of only counted."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.exceptions import Forbidden

from hub.sdk import tracker
from hub.sdk.tracker_errors import TrackerError
from hub.sdk.web import current_principal, describe_error, login_required, unit_of_work
from plugins.insights.views import ROLES, period


@login_required("tickets:write")
def open_problem() -> Any:
    """POST /insights/problem (``ci`` a configuration item's name, or ``key`` an alarm key; the
    period and department in the query string, as the dashboard shows them)."""
    principal = current_principal()
    if principal.role not in ROLES:
        raise Forbidden(f"The dashboard is for agents and admins, not the role '{principal.role}'.")
    start, end, department = period()
    ci_name = (request.form.get("ci") or "").strip()[:200] or None
    key = (request.form.get("key") or "").strip()[:255] or None
    try:
        with unit_of_work() as session:
            refs = tracker.recurring_incidents(session, start=start, end=end, department=department,
                                               ci_name=ci_name, key=key)
            what = f"{ci_name} fails again and again" if ci_name else f"Alarm {key} recurs"
            problem = tracker.open_problem(session, refs, principal.actor("ui"),
                                           {"title": f"{what} ({len(refs)} incidents)"})
            made = problem.ref
    except TrackerError as exc:
        flash(describe_error(exc), "error")
        back = url_for("insights.dashboard")
        query = request.query_string.decode("latin-1")
        return redirect(back + (f"?{query}" if query else "") + "#recurring-heading")
    flash(f"Opened {made} from {len(refs)} incident{'s' if len(refs) != 1 else ''}; each is linked to it.",
          "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=made), code=303)
