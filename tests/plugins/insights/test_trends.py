"""Insights over time and by group (issue 22 point 8, issue 24 point 5), from a handful of tickets
whose every figure is worked out by hand below: the service figures per bucket and per customer,
organisation, department, category and service; faults per item; changes by outcome; incidents
changes caused; problems per bucket; the cost of complaints. Runs on SQLite and, with
HUB_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from hub.models import (
    Category,
    ConfigurationItem,
    Customer,
    CustomerOrganisation,
    Department,
    Ticket,
    TicketLink,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
NOVEMBER = "from=2026-11-01&to=2026-11-30"


def at(day: int, hour: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("insights", "plugins.insights")]
    return app_config


@pytest.fixture
def seeded(app: Any, runtime: Any) -> None:
    seed(runtime)


def seed(runtime: Any) -> None:
    """Four incidents in November and one in October; four changes; two problems (the browser
    test draws the same)."""
    runtime.clock = lambda: NOW
    with runtime.db.transaction() as session:
        front, quality = Department(slug="front-desk", name="Front desk"), Department(slug="quality", name="Quality")
        food = Category(slug="food", name="Food")
        acme = CustomerOrganisation(name="Acme")
        session.add_all([front, quality, food, acme])
        session.flush()
        ann, bob = Customer(display_name="Ann", organisation_id=acme.id), Customer(display_name="Bob")
        shop = ConfigurationItem(key="shop", name="Web shop", kind="service")
        filler = ConfigurationItem(key="filler-1", name="Filler 1", kind="machine")
        session.add_all([ann, bob, shop, filler])
        session.flush()
        server = ConfigurationItem(key="web-1", name="Web server", kind="server", parent_id=shop.id)
        session.add(server)
        session.flush()
        tickets: dict[str, Ticket] = {}

        def ticket(ref: str, kind: str, created: dt.datetime, **values: Any) -> None:
            number = len(tickets) + 1
            tickets[ref] = Ticket(kind=kind, number=number, ref=ref, title=f"{kind} {ref}", priority=3,
                                  created_at=created, updated_at=created, **values)
            session.add(tickets[ref])

        # ref, created, acknowledged after (min), resolved after (h), score, customer, department, category, item
        for ref, created, ack, hours, score, customer, department, category, item, seen in [
            ("INC-1", at(2, 10), 10, 2, 5, ann, front, food, shop, 1),
            ("INC-2", at(2, 12), 30, 4, 3, ann, front, None, server, 3),
            ("INC-3", at(3, 9), 20, None, None, bob, quality, food, filler, 5),
            ("INC-4", at(5, 8), None, 10, 1, None, quality, None, filler, 2),
            ("INC-5", at(30, 8, month=10), 5, 1, 5, ann, front, food, shop, 1),
        ]:
            ticket(ref, "incident", created, status="resolved" if hours else "in_progress",
                   acknowledged_at=created + dt.timedelta(minutes=ack) if ack else None,
                   resolved_at=created + dt.timedelta(hours=hours) if hours else None, csat_score=score,
                   customer_id=customer.id if customer else None, department_id=department.id,
                   category_id=category.id if category else None, ci_id=item.id, occurrence_count=seen)
        ticket("CHG-1", "change", at(20, month=10), status="closed", closed_at=at(4), department_id=front.id)
        ticket("CHG-2", "change", at(1, 9), status="failed", closed_at=at(6))
        ticket("CHG-3", "change", at(1, 10), status="backed_out", closed_at=at(7), department_id=quality.id)
        ticket("CHG-4", "change", at(1, month=10), status="closed", closed_at=at(15, month=10))
        ticket("PRB-1", "problem", at(2, 15), status="resolved", resolved_at=at(5, 16))
        ticket("PRB-2", "problem", at(5, 9), status="investigating")
        session.flush()
        for incident, change in [("INC-3", "CHG-2"), ("INC-4", "CHG-2"), ("INC-2", "CHG-3"), ("INC-5", "CHG-3")]:
            session.add(TicketLink(source_id=tickets[incident].id, target_id=tickets[change].id, kind="caused_by"))


def trends(api: Any, query: str = "") -> dict[str, Any]:
    response = api.get(f"/api/v1/insights?{NOVEMBER}{query}")
    assert response.status_code == 200, response.json
    return dict(response.json["trends"])


def test_service_figures_per_day(api: Any, seeded: None) -> None:
    got = trends(api)
    assert got["bucket"] == "day" and got["grouping"] == "department"
    assert got["series"] == [
        # The two changes of November 1: no score, no response, no resolution.
        {"bucket": "2026-11-01", "tickets": 2, "csat_average": None, "csat_answers": 0, "response_minutes": None,
         "resolution_hours": None},
        {"bucket": "2026-11-02", "tickets": 2, "csat_average": 4.0, "csat_answers": 2, "response_minutes": 20.0,
         "resolution_hours": 3.0},
        {"bucket": "2026-11-03", "tickets": 1, "csat_average": None, "csat_answers": 0, "response_minutes": 20.0,
         "resolution_hours": None},
        {"bucket": "2026-11-05", "tickets": 1, "csat_average": 1.0, "csat_answers": 1, "response_minutes": None,
         "resolution_hours": 10.0},
    ]


def _groups(found: dict[str, Any]) -> dict[Any, tuple[Any, ...]]:
    return {group["name"]: (group["tickets"], group["csat_average"], group["response_minutes"],
                            group["resolution_hours"]) for group in found["groups"]}


@pytest.mark.parametrize(("grouping", "expected"), [
    ("customer", {None: (3, 1.0, None, 10.0), "Ann": (2, 4.0, 20.0, 3.0), "Bob": (1, None, 20.0, None)}),
    ("organisation", {None: (4, 1.0, 20.0, 10.0), "Acme": (2, 4.0, 20.0, 3.0)}),
    ("department", {"Quality": (3, 1.0, 20.0, 10.0), "Front desk": (2, 4.0, 20.0, 3.0), None: (1, None, None, None)}),
    ("category", {None: (4, 2.0, 30.0, 7.0), "Food": (2, 5.0, 15.0, 2.0)}),
    # INC-2's item is a server of the Web shop service: it counts for the shop.
    ("service", {None: (4, 1.0, 20.0, 10.0), "Web shop": (2, 4.0, 20.0, 3.0)}),
])
def test_breakdown_by_each_grouping(api: Any, seeded: None, grouping: str, expected: dict[Any, tuple[Any, ...]]
                                    ) -> None:
    got = trends(api, f"&group={grouping}")
    assert got["grouping"] == grouping
    assert _groups(got) == expected
    assert [group["name"] for group in got["groups"]] == list(expected)  # most tickets first


def test_a_group_has_its_own_line_over_time(api: Any, seeded: None) -> None:
    ann = next(group for group in trends(api, "&group=customer")["groups"] if group["name"] == "Ann")
    assert [(point["bucket"], point["csat_average"], point["response_minutes"]) for point in ann["series"]] == \
        [("2026-11-02", 4.0, 20.0)]


def test_the_department_filter_holds_for_every_figure(api: Any, seeded: None) -> None:
    got = trends(api, "&department=quality")
    assert sum(point["tickets"] for point in got["series"]) == 3
    assert got["changes"] == {"by_outcome": {"successful": 0, "failed": 0, "rolled_back": 1}, "caused_incidents": 2,
                              "top_causes": [{"ref": "CHG-2", "title": "change CHG-2", "incidents": 2}]}
    assert got["problems_by_period"] == []  # the problems have no department


def test_faults_per_item_over_time(api: Any, seeded: None) -> None:
    got = trends(api)["ci_faults"]
    assert got == [{"item": "Filler 1", "series": [["2026-11-03", 1, 5], ["2026-11-05", 1, 2]]},
                   {"item": "Web server", "series": [["2026-11-02", 1, 3]]},
                   {"item": "Web shop", "series": [["2026-11-02", 1, 1]]}]
    assert trends(api, "&ci=Web+server")["ci_faults"] == [{"item": "Web server", "series": [["2026-11-02", 1, 3]]}]
    assert trends(api, "&ci=Nothing")["ci_faults"] == []


def test_changes_by_outcome_and_the_incidents_they_caused(api: Any, seeded: None) -> None:
    got = trends(api)["changes"]
    # CHG-1 began in October and ended in November: it counts; CHG-4 ended in October.
    assert got["by_outcome"] == {"successful": 1, "failed": 1, "rolled_back": 1}
    # INC-5 was caused by CHG-3 too, but opened in October.
    assert got["caused_incidents"] == 3
    assert got["top_causes"] == [{"ref": "CHG-2", "title": "change CHG-2", "incidents": 2},
                                 {"ref": "CHG-3", "title": "change CHG-3", "incidents": 1}]


def test_problems_opened_and_resolved_per_day(api: Any, seeded: None) -> None:
    assert trends(api)["problems_by_period"] == [["2026-11-02", 1, 0], ["2026-11-05", 1, 1]]


def test_a_long_period_counts_months(api: Any, seeded: None) -> None:
    got = api.get("/api/v1/insights?from=2026-09-01&to=2026-11-30").json["trends"]
    assert got["bucket"] == "month"
    assert [(point["bucket"], point["tickets"]) for point in got["series"]] == [("2026-10", 3), ("2026-11", 6)]
    assert got["problems_by_period"] == [["2026-11", 2, 1]]


def test_the_cost_of_complaints(app: Any, api: Any, seeded: None) -> None:
    assert trends(api)["cost"] == {
        "currency": "EUR", "set": False, "total": 0.0,
        "per_kind": {kind: {"tickets": count, "cost_each": 0.0, "cost": 0.0}
                     for kind, count in (("incident", 4), ("change", 2), ("problem", 2))}}
    saved = api.put("/api/v1/admin/plugins/insights/settings",
                    json={"settings": {"cost_incident": 120.5, "cost_change": 1000, "currency": "CHF"}})
    assert saved.status_code == 200, saved.json
    cost = trends(api)["cost"]
    assert cost["set"] and cost["currency"] == "CHF" and cost["total"] == 2482.0
    assert cost["per_kind"]["incident"] == {"tickets": 4, "cost_each": 120.5, "cost": 482.0}
    assert cost["per_kind"]["change"]["cost"] == 2000.0
    refused = api.put("/api/v1/admin/plugins/insights/settings", json={"settings": {"cost_incident": -1}})
    assert refused.status_code == 422 and refused.headers["Content-Type"].startswith("application/problem+json")


def test_the_csv_carries_the_trends(api: Any, seeded: None) -> None:
    api.put("/api/v1/admin/plugins/insights/settings", json={"settings": {"cost_incident": 10}})
    response = api.get(f"/insights.csv?{NOVEMBER}&group=customer")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    rows = {(figure, key): value for figure, key, value in table[1:]}
    assert rows[("trend_csat_average", "2026-11-02")] == "4.0"
    assert rows[("customer_tickets", "Ann")] == "2"
    assert rows[("changes_by_outcome", "rolled_back")] == "1"
    assert rows[("change_caused_incidents", "")] == "3"
    assert rows[("incidents_caused_by", "CHG-2")] == "2"
    assert rows[("ci_faults", "Filler 1 2026-11-03")] == "5"
    assert rows[("cost_total", "EUR")] == "40.0"


def test_a_wrong_grouping_is_a_readable_error(app: Any, api: Any, seeded: None) -> None:
    from tests.hub.ui.conftest import Browser, add_user

    response = api.get(f"/api/v1/insights?{NOVEMBER}&group=planet")
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("application/problem+json")
    assert "Group by one of: customer, organisation, department, category, service." in response.json["detail"]
    add_user(app, "ines", "agent")
    page = Browser(app, "ines").get(f"/insights?{NOVEMBER}&group=planet")
    assert page.status_code == 400 and "Group by one of" in page.get_data(as_text=True)


def test_a_customer_without_a_name_is_named_by_its_number(api: Any, runtime: Any, seeded: None) -> None:
    from sqlalchemy import select

    with runtime.db.transaction() as session:
        session.scalar(select(Customer).where(Customer.display_name == "Bob")).display_name = ""
        bob = session.scalar(select(Customer.id).where(Customer.display_name == ""))
    assert f"Customer {bob}" in [group["name"] for group in trends(api, "&group=customer")["groups"]]


def test_the_page_draws_lines_with_their_figures(app: Any, seeded: None) -> None:
    from tests.hub.ui.conftest import Browser, add_user

    add_user(app, "ines", "agent")
    page = Browser(app, "ines").text(f"/insights?{NOVEMBER}&group=customer")
    for ident in ("trend-csat", "trend-response", "trend-resolution", "trend-faults", "trend-problems"):
        assert f'id="{ident}"' in page and f'aria-labelledby="{ident}-title {ident}-desc"' in page
    assert "<summary>Show the figures as a table</summary>" in page
    assert '<option value="customer" selected>' in page
    assert 'id="kpi-changes-rolled-back">1<' in page and 'id="kpi-caused-incidents">3<' in page
    assert '<a href="/tickets/CHG-2">CHG-2</a>' in page
    assert "No cost per ticket is set." in page


def test_one_grouped_query_per_figure(runtime: Any, seeded: None) -> None:
    """Service per group and bucket, faults, outcomes, caused count, causing changes, problems,
    kinds: seven statements however many tickets the period has."""
    from hub.sdk import tracker
    from tests.hub.tracker.test_figures import statements

    with runtime.db.reading() as session, statements(runtime.db.read_engine) as seen:
        found = tracker.trend_figures(session, start=at(1), end=at(1, month=12), department="quality",
                                      grouping="service")
    assert len(seen) == 7, seen
    assert found.caused_incidents == 2


def test_every_bucket_of_a_period() -> None:
    from plugins.insights.trends import every_bucket

    assert every_bucket(at(1), at(4), "day") == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert every_bucket(at(15, month=10), dt.datetime(2027, 2, 2, tzinfo=dt.UTC), "month") == \
        ["2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]
