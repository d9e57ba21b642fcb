"""The "Customers at risk" panel of the dashboard: how many are flagged now, and a line of how
many were at each day's end in the period (hub.sdk.tracker.customers_at_risk).

Kept apart from the dashboard's own figures: the template calls ``customers_at_risk_panel()``
(a template global this module's blueprint adds), so the panel is one include.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from hub.sdk import tracker
from hub.sdk.web import runtime

WIDTH, HEIGHT, PAD, LABEL = 640, 160, 24, 40


def line(points: list[tuple[str, int]], title: str) -> Markup:
    """A line chart as SVG, like the bars in charts.py: no script, every point's number in a
    table beside it for screen readers and for reading without colour."""
    if not points:
        return Markup(f'<p class="muted">{escape(title)}: nothing in this period.</p>')  # noqa: S704 (escaped)
    top = max(count for _, count in points) or 1
    step = (WIDTH - LABEL - PAD) / max(1, len(points) - 1)
    xy = [(LABEL + index * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * count / top)
          for index, (_, count) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    first, last = points[0][0], points[-1][0]
    parts = [f'<figure class="chart-figure"><figcaption>{escape(title)}</figcaption>'
             f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
             f'<text x="{LABEL - 6}" y="{PAD + 4}" text-anchor="end" class="chart-label">{top}</text>'
             f'<text x="{LABEL - 6}" y="{HEIGHT - PAD + 4}" text-anchor="end" class="chart-label">0</text>'
             f'<polyline points="{path}" fill="none" stroke="currentColor" stroke-width="2" class="chart-line">'
             f'</polyline>'
             f'<text x="{LABEL}" y="{HEIGHT - 4}" class="chart-label">{escape(first)}</text>'
             f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" text-anchor="end" class="chart-label">{escape(last)}</text>'
             f'</svg></figure>']
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above; the rest are numbers)


def customers_at_risk_panel() -> Markup:
    """The panel for the period the dashboard shows."""
    from plugins.insights.views import period

    start, end, _department = period()
    with runtime().db.reading() as session:
        trend = tracker.customers_at_risk(session, start=start, end=end)
    now = trend[-1][1] if trend else 0
    return Markup(render_template("insights/_at_risk.html", trend=trend, now=now,  # noqa: S704 (a template)
                                  chart=line(trend, "Customers at risk at each day's end")))


def make_blueprint() -> Blueprint:
    bp = Blueprint("insights_at_risk", __name__, template_folder="templates")
    bp.add_app_template_global(customers_at_risk_panel, "customers_at_risk_panel")
    return bp


