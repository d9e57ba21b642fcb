"""The trends as the dashboard draws them (line and bar charts) and as its CSV lists them."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from hub.sdk.i18n import N_
from hub.sdk.i18n import gettext as _
from plugins.insights.charts import bars
from plugins.insights.line_charts import lines
from plugins.insights.trends import LINES, top_lines

#: The service measures drawn over time: (key in the figures, chart id, title, unit).
MEASURES = (("csat_average", "trend-csat", N_("Satisfaction over time (1-5)"), ""),
            ("response_minutes", "trend-response", N_("Time to respond over time (minutes)"), " min"),
            ("resolution_hours", "trend-resolution", N_("Time to resolve over time (hours)"), " h"))
#: Outcomes as the page names them, in the order of TrendFigures.change_outcomes.
OUTCOME_LABELS = {"successful": N_("Successful"), "failed": N_("Failed"), "rolled_back": N_("Rolled back")}


def trend_charts(trends: dict[str, Any]) -> dict[str, Markup]:
    """The charts of the trend sections, by the name the templates use."""
    charts: dict[str, Markup] = {}
    buckets = trends["buckets"]
    overall = _("All tickets")
    for measure, ident, title, unit in MEASURES:
        # The whole period's line first, then the largest groups of the chosen grouping.
        series = {overall: [(point["bucket"], point[measure]) for point in trends["series"]]}
        groups = top_lines(trends["groups"], measure)
        series.update(dict(list(groups.items())[:LINES - 1]))
        charts[ident] = lines(series, _(title), ident=ident, unit=unit, buckets=buckets)
    # Counts are 0 on a day without any (a gap would say "unknown").
    faults = {entry["item"]: _counted(buckets, {bucket: occurrences for bucket, _n, occurrences in entry["series"]})
              for entry in trends["ci_faults"]}
    charts["trend-faults"] = lines(faults, _("Faults per configuration item over time (occurrences)"),
                                   ident="trend-faults", buckets=buckets)
    problems = trends["problems_by_period"]
    problem_lines = {_("Opened"): _counted(buckets, {bucket: opened for bucket, opened, _resolved in problems}),
                     _("Resolved"): _counted(buckets, {bucket: done for bucket, _opened, done in problems})}
    charts["trend-problems"] = lines(problem_lines if problems else {}, _("Problems opened and resolved over time"),
                                     ident="trend-problems", buckets=buckets)
    outcomes = trends["changes"]["by_outcome"]
    charts["change-outcomes"] = bars([(_(label), outcomes.get(key, 0)) for key, label in OUTCOME_LABELS.items()],
                                     _("Changes by outcome"))
    return charts


def _counted(buckets: list[str], counts: dict[str, int]) -> list[tuple[str, float | None]]:
    return [(bucket, float(counts.get(bucket, 0))) for bucket in buckets]


def trend_rows(trends: dict[str, Any]) -> list[list[Any]]:
    """The trends as rows of the CSV's (figure, key, value) table."""
    rows: list[list[Any]] = []
    for point in trends["series"]:
        for measure in ("tickets", "csat_average", "response_minutes", "resolution_hours"):
            rows.append([f"trend_{measure}", point["bucket"], point[measure]])
    grouping = trends["grouping"]
    for group in trends["groups"]:
        name = "(none)" if group["name"] is None else group["name"]
        for measure in ("tickets", "csat_average", "response_minutes", "resolution_hours"):
            rows.append([f"{grouping}_{measure}", name, group[measure]])
    for entry in trends["ci_faults"]:
        for bucket, _incidents, occurrences in entry["series"]:
            rows.append(["ci_faults", f"{entry['item']} {bucket}", occurrences])
    for outcome, count in trends["changes"]["by_outcome"].items():
        rows.append(["changes_by_outcome", outcome, count])
    rows.append(["change_caused_incidents", "", trends["changes"]["caused_incidents"]])
    for cause in trends["changes"]["top_causes"]:
        rows.append(["incidents_caused_by", cause["ref"], cause["incidents"]])
    for bucket, opened, resolved in trends["problems_by_period"]:
        rows.append(["problems_opened_in", bucket, opened])
        rows.append(["problems_resolved_in", bucket, resolved])
    cost = trends["cost"]
    for kind, entry in cost["per_kind"].items():
        rows.append(["cost", kind, entry["cost"]])
    rows.append(["cost_total", cost["currency"], cost["total"]])
    return rows
