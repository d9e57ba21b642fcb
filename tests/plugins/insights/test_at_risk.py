"""The dashboard's "Customers at risk" panel: the count at the period's end and a line of
how many were flagged at each day's end, from the flags' raised and cleared times."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.models import Customer, CustomerRiskFlag
from tests.hub.ui.conftest import Browser, add_user

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("insights", "plugins.insights")]
    return app_config


@pytest.fixture
def flags(app: Any, runtime: Any) -> None:
    """Three customers: flagged on the 10th and still at risk; flagged on the 12th, cleared on the
    20th; flagged on the 25th."""
    runtime.clock = lambda: NOW
    day = lambda n: dt.datetime(2026, 11, n, 9, 0, tzinfo=dt.UTC)  # noqa: E731
    with runtime.db.transaction() as session:
        people = [Customer(display_name=name) for name in ("Ana", "Bo", "Cy")]
        session.add_all(people)
        session.flush()
        reason = [{"rule": "low_score", "key": "k", "text": "Rated 1 of 5", "ref": None, "at": ""}]
        session.add_all([
            CustomerRiskFlag(customer_id=people[0].id, raised_at=day(10), reasons=reason),
            CustomerRiskFlag(customer_id=people[1].id, raised_at=day(12), reasons=reason, cleared_at=day(20),
                             cleared_by="maria", clear_note="Called"),
            CustomerRiskFlag(customer_id=people[2].id, raised_at=day(25), reasons=reason),
        ])


def test_the_trend_counts_each_days_end(app: Any, runtime: Any, flags: None) -> None:
    from hub.tracker.customer_risk import at_risk_trend

    with runtime.db.reading() as session:
        trend = dict(at_risk_trend(session, start=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                                   end=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    assert len(trend) == 30
    assert (trend["2026-11-09"], trend["2026-11-10"], trend["2026-11-12"], trend["2026-11-19"]) == (0, 1, 2, 2)
    assert (trend["2026-11-20"], trend["2026-11-25"], trend["2026-11-30"]) == (1, 2, 2)


def test_the_panel_shows_the_count_and_the_line(app: Any, flags: None) -> None:
    add_user(app, "maria", "agent")
    html = Browser(app, "maria").text("/insights?from=2026-11-01&to=2026-11-30")
    assert 'id="kpi-at-risk">2<' in html
    assert "Customers at risk at each day&#39;s end" in html and 'class="chart-line"' in html
    assert "<td>2026-11-12</td><td>2</td>" in html
    assert 'href="/customers?at_risk=1"' in html
