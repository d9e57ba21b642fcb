"""The dashboard page, its CSV export and its JSON twin; for agents and admins."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import Forbidden, Unauthorized

from hub.sdk import tracker
from hub.sdk.web import current_principal, public, runtime
from plugins.insights.charts import bars
from plugins.insights.figures import figures
from plugins.insights.trend_charts import trend_charts, trend_rows
from plugins.insights.trends import GROUPINGS, trends

ROLES = ("agent", "admin")
MAX_DAYS = 366


#: The days a period may name: the end's next midnight, and 29 days before it (the default
#: start), must still be dates, and the times must be ones the hub stores.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9999, 12, 29)


def _day(name: str, default: dt.date) -> dt.date:
    text = request.args.get(name)
    if not text:
        return default
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        abort(400, "Dates are written like 2026-11-23.")
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(400, f"Dates lie between {FIRST_DAY} and {LAST_DAY}.")
    return day


def period() -> tuple[dt.datetime, dt.datetime, str | None]:
    end_day = _day("to", runtime().now().date())
    start_day = _day("from", max(FIRST_DAY, end_day - dt.timedelta(days=29)))
    if start_day > end_day or (end_day - start_day).days > MAX_DAYS:
        abort(400, f"The period runs forwards and spans at most {MAX_DAYS} days.")
    start = dt.datetime.combine(start_day, dt.time(0), dt.UTC)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(0), dt.UTC)
    return start, end, request.args.get("department") or None


#: What makes a spreadsheet read a cell as a formula (or, with tab and CR, start a new
#: cell or row it then reads so): OWASP's list for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as the text it is: names come from sources (a category
    a webhook created), so one starting like a formula gets a leading apostrophe. Numbers
    the hub computed (a negative one among them) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def selection() -> tuple[str, str | None]:
    """What the trends are grouped by (``group``), and the item whose faults are drawn (``ci``)."""
    grouping = request.args.get("group") or "department"
    if grouping not in GROUPINGS:
        abort(400, f"Group by one of: {', '.join(GROUPINGS)}.")
    return grouping, (request.args.get("ci") or "").strip()[:200] or None


def _figures() -> dict[str, Any]:
    start, end, department = period()
    grouping, ci_name = selection()
    with runtime().db.reading() as session:
        found = figures(session, start=start, end=end, department=department)
        found["trends"] = trends(session, start=start, end=end, department=department, grouping=grouping,
                                 ci_name=ci_name)
        return found


def _allowed(*, api: bool) -> None:
    principal = current_principal()
    if principal is None:
        raise Unauthorized("Send an API token: Authorization: Bearer <token>." if api else "Sign in first.")
    if principal.role not in ROLES or (api and principal.via != "token"):
        raise Forbidden(f"The dashboard is for agents and admins, not the role '{principal.role}'.")


@public
def dashboard() -> Any:
    if current_principal() is None:
        from flask import redirect, url_for

        return redirect(url_for("ui_auth.login", next=request.full_path.rstrip("?")))
    _allowed(api=False)
    data = _figures()
    with runtime().db.reading() as session:
        departments = tracker.departments(session)
    charts = {
        "per_day": bars(data["volume"]["by_day"], "Tickets per day"),
        "by_source": bars(data["volume"]["by_source"], "Tickets by source"),
        "by_department": bars(data["volume"]["by_department"], "Tickets by department"),
        "by_category": bars(data["volume"]["by_category"], "Tickets by category"),
        "backlog": bars(list(data["backlog"].items()), "Open tickets by age"),
        **trend_charts(data["trends"]),
    }
    return render_template("insights/dashboard.html", data=data, charts=charts, departments=departments,
                           args=request.args, groupings=GROUPINGS)


@public
def dashboard_csv() -> Any:
    principal = current_principal()
    _allowed(api=principal is not None and principal.via == "token")
    data = _figures()
    out = io.StringIO()
    writer = csv.writer(out)
    rows: list[list[Any]] = [["figure", "key", "value"]]
    rows.append(["tickets", "", data["tickets"]])
    rows.append(["mtta_minutes", "", data["mtta_minutes"]])
    rows.append(["mttr_hours", "", data["mttr_hours"]])
    for target, share in data["sla"].items():
        rows.append([f"sla_{target}_percent", "", share["percent"]])
    rows.append(["csat_average", "", data["csat"]["average"]])
    for label, count in data["backlog"].items():
        rows.append(["backlog", label, count])
    for group, counts in data["volume"].items():
        for key, count in counts:
            rows.append([f"volume_{group}", key, count])
    for key, _tickets, occurrences in data["recurring"]["configuration_items"]:
        rows.append(["recurring_ci_occurrences", key, occurrences])
    for name, count in data["problems"].items():
        rows.append([f"problems_{name}", "", count])
    rows.extend(trend_rows(data["trends"]))
    writer.writerows([[inert_cell(cell) for cell in row] for row in rows])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="insights.csv"'
    return response


@public
def dashboard_json() -> Any:
    _allowed(api=True)
    return jsonify(_figures())


def make_blueprint() -> Blueprint:
    bp = Blueprint("insights", __name__, template_folder="templates")
    bp.add_url_rule("/insights", view_func=dashboard)
    bp.add_url_rule("/insights.csv", view_func=dashboard_csv)
    bp.add_url_rule("/api/v1/insights", view_func=dashboard_json)
    from plugins.insights.problems import open_problem

    bp.add_url_rule("/insights/problem", view_func=open_problem, methods=["POST"])
    return bp
