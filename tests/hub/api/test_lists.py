"""Listing tickets: every filter, the sort orders and cursor paging."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def seeded(api: Any) -> list[str]:
    api.post("/api/v1/departments", json={"slug": "care", "name": "Care"})
    api.post("/api/v1/departments", json={"slug": "quality", "name": "Quality"})
    api.post("/api/v1/categories", json={"slug": "housekeeping", "name": "Housekeeping", "department": "care"})
    specs = [
        {"title": "No hot water in 4127", "impact": "high", "urgency": "high", "department": "care"},
        {"title": "Towels not replaced", "impact": "low", "urgency": "low", "department": "care",
         "category": "housekeeping"},
        {"title": "Fill volume low on line 3", "impact": "high", "urgency": "medium", "department": "quality",
         "description": "486 ml against 500 ml", "assignee": "alice"},
        {"title": "Air conditioning broken", "impact": "medium", "urgency": "high",
         "requester": {"name": "André", "email": "andre@example.fr"}},
    ]
    refs = []
    for spec in specs:
        response = api.post("/api/v1/incidents", json=spec)
        assert response.status_code == 201, response.json
        refs.append(response.json["ref"])
    api.post(f"/api/v1/incidents/{refs[1]}/transitions", json={"to": "resolved"})
    return refs


def refs_of(api: Any, query: str) -> list[str]:
    response = api.get(f"/api/v1/incidents?{query}")
    assert response.status_code == 200, response.json
    return [item["ref"] for item in response.json["items"]]


def test_default_sort_is_latest_update_first(api: Any, seeded: list[str]) -> None:
    assert refs_of(api, "") == [seeded[1], seeded[3], seeded[2], seeded[0]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=resolved", [1]),
        ("status=new,resolved&sort=created_at", [0, 1, 2, 3]),
        ("priority=1", [0]),
        ("priority=1,2&sort=created_at", [0, 2, 3]),
        ("department=care&sort=created_at", [0, 1]),
        ("department=nowhere", []),
        ("category=housekeeping", [1]),
        ("assignee=alice", [2]),
        ("source=api&sort=created_at", [0, 1, 2, 3]),
        ("q=volume", [2]),
        ("q=500%20ml", [2]),
        ("q=INC-000004", [3]),
        ("requester_email=ANDRE@example.fr", [3]),
        ("open=true&sort=created_at", [0, 2, 3]),
        ("sort=priority", [0, 2, 3, 1]),
        ("sort=-created_at", [3, 2, 1, 0]),
    ],
)
def test_filters(api: Any, seeded: list[str], query: str, expected: list[int]) -> None:
    assert refs_of(api, query) == [seeded[i] for i in expected]


def test_updated_since(api: Any, seeded: list[str]) -> None:
    newest = api.get(f"/api/v1/incidents/{seeded[1]}").json["updated_at"]
    assert refs_of(api, "updated_since=" + newest.replace("+", "%2B")) == [seeded[1]]


def test_cursor_walks_every_ticket_once_in_every_sort(api: Any, seeded: list[str]) -> None:
    for sort in ("-updated_at", "updated_at", "-created_at", "created_at", "priority", "-priority"):
        seen: list[str] = []
        path = f"/api/v1/incidents?limit=1&sort={sort}"
        while path:
            response = api.get(path)
            seen += [item["ref"] for item in response.json["items"]]
            cursor = response.json["next_cursor"]
            assert ("Link" in response.headers) == bool(cursor)
            path = f"/api/v1/incidents?limit=1&sort={sort}&cursor={cursor}" if cursor else ""
        assert sorted(seen) == sorted(seeded), sort
        assert len(seen) == len(set(seen))


def test_bad_list_arguments(api: Any, seeded: list[str]) -> None:
    for query, field in [("sort=title", "sort"), ("limit=0", "limit"), ("limit=1000", "limit"),
                         ("cursor=%%%", "cursor"), ("priority=9", "priority.0"), ("updated_since=yesterday",
                                                                                   "updated_since"),
                         ("colour=red", "colour")]:
        response = api.get(f"/api/v1/incidents?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert field in response.json["errors"], (query, response.json)


def test_cursor_from_another_sort_is_refused(api: Any, seeded: list[str]) -> None:
    cursor = api.get("/api/v1/incidents?limit=1").json["next_cursor"]
    response = api.get(f"/api/v1/incidents?limit=1&sort=priority&cursor={cursor}")
    assert response.status_code == 422
    assert "keep the same sort" in response.json["errors"]["cursor"][0]
