"""The dashboard's figures for a seeded month, against the same figures computed here in Python."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import statistics
from typing import Any

import pytest

from hub.models import Category, ConfigurationItem, Department, Ticket

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("insights", "plugins.insights")]
    return app_config


@pytest.fixture
def month(app: Any, runtime: Any) -> list[dict[str, Any]]:
    """Three hundred tickets over November with known times, departments, sources and scores."""
    runtime.clock = lambda: NOW
    rng = random.Random(7)
    rows: list[dict[str, Any]] = []
    with runtime.db.transaction() as session:
        departments = [Department(slug=slug, name=slug.title()) for slug in ("front-desk", "quality")]
        categories = [Category(slug=slug, name=slug.title()) for slug in ("food", "noise")]
        machines = [ConfigurationItem(key=f"filler-{n}", name=f"Filler {n}", kind="machine") for n in (1, 2)]
        session.add_all(departments + categories + machines)
        session.flush()
        for number in range(1, 301):
            created = START + dt.timedelta(minutes=rng.randrange(0, 29 * 24 * 60))
            acked = created + dt.timedelta(minutes=rng.randrange(1, 240)) if rng.random() < 0.9 else None
            resolved = created + dt.timedelta(hours=rng.randrange(1, 96)) if rng.random() < 0.7 else None
            if resolved is not None and resolved > NOW:
                resolved = None
            due = created + dt.timedelta(hours=24)
            row = {"created": created, "acked": acked, "resolved": resolved, "due": due,
                   "department": rng.choice([*departments, None]), "category": rng.choice([*categories, None]),
                   "source": rng.choice(["webform", "email", "api"]), "ci": rng.choice([*machines, None]),
                   "occurrences": rng.randrange(1, 30), "csat": rng.choice([None, 1, 3, 4, 5]),
                   "status": "resolved" if resolved else rng.choice(["new", "in_progress", "on_hold"])}
            rows.append(row)
            session.add(Ticket(
                kind="incident", number=number, ref=f"INC-{number:06d}", title=f"Ticket {number}", status=row["status"],
                priority=3, source=row["source"], created_at=created, updated_at=created, acknowledged_at=acked,
                resolved_at=resolved, resolve_due_at=due,
                department_id=row["department"].id if row["department"] else None,
                category_id=row["category"].id if row["category"] else None,
                ci_id=row["ci"].id if row["ci"] else None, occurrence_count=row["occurrences"],
                csat_score=row["csat"], csat_comment="Thanks" if row["csat"] else None))
    return rows


def expected(rows: list[dict[str, Any]]) -> dict[str, Any]:
    acked = [(r["acked"] - r["created"]).total_seconds() / 60 for r in rows if r["acked"]]
    resolved = [(r["resolved"] - r["created"]).total_seconds() / 3600 for r in rows if r["resolved"]]
    judged = [r for r in rows if r["resolved"] or r["due"] < NOW]
    met = [r for r in judged if r["resolved"] and r["resolved"] <= r["due"]]
    scores = [r["csat"] for r in rows if r["csat"]]
    backlog = {"under 1 day": 0, "1-7 days": 0, "7-30 days": 0, "over 30 days": 0}
    for r in rows:
        if r["status"] != "resolved":
            age = (NOW - r["created"]).total_seconds() / 86400
            backlog["under 1 day" if age < 1 else "1-7 days" if age < 7 else "7-30 days" if age < 30
                    else "over 30 days"] += 1
    by_source: dict[str, int] = {}
    for r in rows:
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    machines: dict[str, int] = {}
    for r in rows:
        if r["ci"]:
            machines[r["ci"].name] = machines.get(r["ci"].name, 0) + r["occurrences"]
    return {"tickets": len(rows), "mtta": round(statistics.mean(acked), 1), "mttr": round(statistics.mean(resolved), 2),
            "resolution": round(100 * len(met) / len(judged), 1), "csat": round(statistics.mean(scores), 2),
            "backlog": backlog, "by_source": by_source, "machines": machines}


def test_json_figures_equal_an_independent_computation(app: Any, api: Any, month: list[dict[str, Any]]) -> None:
    want = expected(month)
    got = api.get("/api/v1/insights?from=2026-11-01&to=2026-11-30").json
    assert got["tickets"] == want["tickets"]
    assert got["mtta_minutes"] == pytest.approx(want["mtta"], abs=0.1)
    assert got["mttr_hours"] == pytest.approx(want["mttr"], abs=0.01)
    assert got["sla"]["resolution"]["percent"] == want["resolution"]
    assert got["csat"]["average"] == want["csat"]
    assert got["backlog"] == want["backlog"]
    assert dict(got["volume"]["by_source"]) == want["by_source"]
    assert {name: occurrences for name, _, occurrences in got["recurring"]["configuration_items"]} == want["machines"]
    assert sum(count for _, count in got["volume"]["by_day"]) == len(month)


def test_the_csv_carries_the_same_figures(app: Any, api: Any, month: list[dict[str, Any]]) -> None:
    want = expected(month)
    response = api.get("/insights.csv?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    figures = {(figure, key): value for figure, key, value in rows[1:]}
    assert int(figures[("tickets", "")]) == want["tickets"]
    assert float(figures[("mttr_hours", "")]) == pytest.approx(want["mttr"], abs=0.01)
    assert {key: int(value) for (figure, key), value in figures.items() if figure == "backlog"} == want["backlog"]


def test_department_filter(app: Any, api: Any, month: list[dict[str, Any]]) -> None:
    quality = [r for r in month if r["department"] is not None and r["department"].slug == "quality"]
    got = api.get("/api/v1/insights?from=2026-11-01&to=2026-11-30&department=quality").json
    assert got["tickets"] == len(quality)


def test_who_may_see_it(app: Any, client_for: Any, anonymous: Any, month: list[dict[str, Any]]) -> None:
    assert client_for("agent").get("/api/v1/insights").status_code == 200
    assert client_for("requester").get("/api/v1/insights").status_code == 403
    assert client_for("connector").get("/api/v1/insights").status_code == 403
    assert anonymous.get("/api/v1/insights").status_code == 401
    assert client_for("agent").get("/api/v1/insights?from=2026-13-01").status_code == 400


def test_problems_are_counted_apart_and_opened_from_a_recurring_row(app: Any, api: Any, client_for: Any,
                                                                      runtime: Any,
                                                                      month: list[dict[str, Any]]) -> None:
    """Issue 22 points 2 and 8: a problem is no service ticket (the figures above stay those of
    the incidents); it is counted as opened, resolved and known error; a row of "What fails
    most" opens one linked to the incidents that row counts."""
    from tests.hub.ui.conftest import Browser, add_user

    before = api.get("/api/v1/insights?from=2026-11-01&to=2026-11-30").json
    assert before["problems"] == {"opened": 0, "resolved": 0, "known_errors": 0}
    add_user(app, "ines", "agent")
    agent = Browser(app, "ines")
    dashboard = agent.text("/insights?from=2026-11-01&to=2026-11-30")
    assert 'name="ci" value="Filler 1"' in dashboard and 'id="kpi-problems-opened"' in dashboard
    made = agent.post("/insights/problem?from=2026-11-01&to=2026-11-30", {"ci": "Filler 1"})
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]
    assert made.headers["Location"].endswith("/tickets/PRB-000001")
    filler_1 = sorted(f"INC-{n:06d}" for n, row in enumerate(month, 1) if row["ci"] and row["ci"].name == "Filler 1")
    links = api.get("/api/v1/problems/PRB-000001/links").json
    assert sorted(link["ref"] for link in links) == filler_1 and {link["kind"] for link in links} == {"problem_of"}
    problem = api.get("/api/v1/problems/PRB-000001").json
    assert problem["ci"] == "filler-1" and problem["title"] == f"Filler 1 fails again and again ({len(filler_1)} " \
                                                               "incidents)"
    api.patch("/api/v1/problems/PRB-000001", json={"workaround": "Reset it.", "root_cause": "Worn belt."})
    api.post("/api/v1/problems/PRB-000001/transitions", json={"to": "investigating"})
    api.post("/api/v1/problems/PRB-000001/transitions", json={"to": "known_error"})
    api.post("/api/v1/problems", json={"title": "Another"})
    after = api.get("/api/v1/insights?from=2026-11-01&to=2026-11-30").json
    assert after["problems"] == {"opened": 2, "resolved": 0, "known_errors": 1}  # the clock says November 30
    assert _without_problems(after) == _without_problems(before)
    assert after["trends"]["problems_by_period"] == [["2026-11-30", 2, 0]]
    api.post("/api/v1/problems/PRB-000001/transitions", json={"to": "resolved"})
    today = api.get("/api/v1/insights").json["problems"]
    assert today == {"opened": 2, "resolved": 1, "known_errors": 0}

    nothing = agent.post("/insights/problem?from=2026-11-01&to=2026-11-30", {"key": "no/such/key"}, follow=True)
    assert "No incident of the period has it." in nothing.get_data(as_text=True)
    both = agent.post("/insights/problem", {"ci": "Filler 1", "key": "x"}, follow=True)
    assert "one of them" in both.get_data(as_text=True)


def _without_problems(found: dict[str, Any]) -> dict[str, Any]:
    """The figures that opening a problem leaves alone: all but the problems' own and their cost."""
    trends = {k: v for k, v in found["trends"].items() if k not in ("problems_by_period", "cost")}
    return {k: v for k, v in found.items() if k not in ("problems", "trends")} | {"trends": trends}
