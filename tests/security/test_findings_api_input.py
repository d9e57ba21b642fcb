"""API findings of ../shared/findings/security.md: D7 (deep JSON), D8 (NaN, Infinity, huge
integers), D9 (a null priority), D11 (cursors, If-Match, out-of-range times and scores) and
I3 (over-long queries): each is a 4xx problem+json, never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

PROBLEM = "application/problem+json"
DEEP = "[" * 100_000 + "]" * 100_000


def raw_post(client: Any, path: str, data: str, token: str | None = None, method: str = "POST",
             headers: dict[str, str] | None = None) -> Any:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return client.open(path, method=method, data=data, headers=sent)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.headers["Content-Type"] == PROBLEM
    return response.json  # type: ignore[no-any-return]


# -- D7 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/anything", "/api/v1/forms/nope"])
def test_d7_deeply_nested_json_is_a_400_without_a_token(app: Any, path: str) -> None:
    body = assert_problem(raw_post(app.test_client(), path, DEEP), 400)
    assert "nested deeper than 64 levels" in body["detail"]


def test_d7_a_route_that_needs_a_token_asks_for_it_first(app: Any) -> None:
    assert_problem(raw_post(app.test_client(), "/api/v1/incidents", DEEP), 401)


def test_d7_deeply_nested_json_with_a_token_is_a_400(app: Any, api: Any) -> None:
    deep_field = '{"title": "x", "custom_fields": {"a": ' + "[" * 5000 + "]" * 5000 + "}}"
    for data in (DEEP, deep_field):
        assert_problem(raw_post(app.test_client(), "/api/v1/incidents", data, api.token), 400)
    # Nesting that real clients use is read as before.
    fine = json.dumps({"title": "nested", "custom_fields": {"a": json.loads("[" * 60 + "]" * 60)}})
    assert raw_post(app.test_client(), "/api/v1/incidents", fine, api.token).status_code == 201


def test_d7_chunked_bodies_are_checked_too(app: Any, api: Any) -> None:
    import io

    response = app.test_client().post("/api/v1/incidents", input_stream=io.BytesIO(DEEP.encode()),
                                      headers={"Content-Type": "application/json",
                                               "Authorization": f"Bearer {api.token}",
                                               "Transfer-Encoding": "chunked"},
                                      environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it
    assert_problem(response, 400)


# -- D8 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("literal", "path"), [
    ('{"title": "x", "custom_fields": {"a": NaN}}', "custom_fields.a"),
    ('{"title": "x", "custom_fields": {"a": [1, Infinity]}}', "custom_fields.a[1]"),
    ('{"title": "x", "custom_fields": {"a": -Infinity}}', "custom_fields.a"),
    ('{"title": "x", "custom_fields": {"a": 1e999}}', "custom_fields.a"),
    ('{"title": "x", "custom_fields": {"a": ' + "9" * 5000 + "}}", "custom_fields.a"),
    ('{"title": "x", "priority": NaN}', "priority"),
])
def test_d8_non_finite_and_huge_numbers_are_a_422_naming_the_field(app: Any, api: Any, literal: str,
                                                                   path: str) -> None:
    body = assert_problem(raw_post(app.test_client(), "/api/v1/incidents", literal, api.token), 422)
    assert path in body["errors"], body
    assert "finite" in body["errors"][path][0]
    assert api.get("/api/v1/incidents").json["items"] == []


def test_d8_an_ordinary_float_and_a_long_id_are_still_accepted(app: Any, api: Any) -> None:
    data = '{"title": "x", "custom_fields": {"a": 1.5e300, "b": 340282366920938463463374607431768211455}}'
    response = raw_post(app.test_client(), "/api/v1/incidents", data, api.token)
    assert response.status_code == 201, response.json
    assert response.json["custom_fields"]["b"] == 2**128 - 1


def test_d8_patch_with_nan_is_a_422(app: Any, api: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    response = raw_post(app.test_client(), f"/api/v1/incidents/{ref}", '{"custom_fields": {"t": NaN}}', api.token,
                        method="PATCH")
    assert_problem(response, 422)


# -- D9 ----------------------------------------------------------------------------------


def test_d9_a_null_priority_clears_the_override(api: Any) -> None:
    created = api.post("/api/v1/incidents", json={"title": "x", "impact": "high", "urgency": "high", "priority": 5})
    ref = created.json["ref"]
    assert created.json["priority"] == 5
    cleared = api.patch(f"/api/v1/incidents/{ref}", json={"priority": None})
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["priority"] == 1  # high x high
    both = api.patch(f"/api/v1/incidents/{ref}", json={"priority": None, "impact": "low", "urgency": "low"})
    assert both.status_code == 200 and both.json["priority"] == 5
    trail = api.get(f"/api/v1/incidents/{ref}/audit").json
    assert trail[1]["changes"]["priority"] == [5, 1]


def test_d9_the_schemathesis_case_answers_200(api: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    response = api.patch(f"/api/v1/incidents/{ref}", json={
        "assignee": None, "category": None, "ci": None, "custom_fields": {}, "department": None, "description": "",
        "group": None, "impact": "low", "priority": None, "requester": {"email": "0@0.com", "name": ""},
        "resolution": "", "tags": [], "title": "0", "urgency": "low"})
    assert response.status_code == 200, response.json


def test_d9_a_change_takes_a_null_priority_too(api: Any) -> None:
    ref = api.post("/api/v1/changes", json={"title": "x", "priority": 2}).json["ref"]
    assert api.patch(f"/api/v1/changes/{ref}", json={"priority": None}).json["priority"] == 3


# -- D11 ---------------------------------------------------------------------------------


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


MOMENT = {"t": "2026-01-01T00:00:00+00:00"}
BAD_CURSORS = [
    ["-updated_at", "abc", 1], ["-updated_at", None, 1], ["-updated_at", [1, 2], 1], ["-updated_at", True, 1],
    ["-updated_at", {"t": "2026-01-01T00:00:00"}, 1], ["-updated_at", {"t": "0001-01-01T00:00:00+14:00"}, 1],
    ["-updated_at", {"t": 5}, 1], ["-updated_at", {"t": "2026-01-01T00:00:00+00:00", "x": 1}, 1],
    ["-updated_at", MOMENT, 10**23], ["-updated_at", MOMENT, -1], ["-updated_at", MOMENT, True],
    ["-updated_at", MOMENT, 1.5],
    ["priority", "x", 1], ["priority", 10**10, 1], ["priority", True, 1], [1, 2, 3], [], "text", None,
    ["-updated_at", MOMENT, 1, 4],
]


@pytest.mark.parametrize("value", BAD_CURSORS, ids=[json.dumps(v)[:40] for v in BAD_CURSORS])
def test_d11_a_forged_cursor_is_a_422(api: Any, value: Any) -> None:
    sort = value[0] if isinstance(value, list) and value and isinstance(value[0], str) else "-updated_at"
    api.post("/api/v1/incidents", json={"title": "x"})
    response = api.get(f"/api/v1/incidents?sort={sort}&cursor={cursor_of(value)}")
    body = assert_problem(response, 422)
    assert "cursor" in body["errors"]


@pytest.mark.parametrize("cursor", ["!!!", "a" * 1000, base64.urlsafe_b64encode(b"\xff\xfe").decode(),
                                    base64.urlsafe_b64encode(DEEP[:3000].encode()).decode()])
def test_d11_an_unreadable_cursor_is_a_422(api: Any, cursor: str) -> None:
    assert_problem(api.get(f"/api/v1/incidents?cursor={cursor}"), 422)


def test_d11_cursors_the_api_gave_out_still_page(api: Any) -> None:
    for number in range(5):
        api.post("/api/v1/incidents", json={"title": f"t{number}", "priority": number % 5 + 1})
    for sort in ("-updated_at", "created_at", "priority", "-priority"):
        seen, cursor = [], ""
        while True:
            page = api.get(f"/api/v1/incidents?sort={sort}&limit=2" + (f"&cursor={cursor}" if cursor else "")).json
            seen += [item["ref"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == [f"INC-00000{n}" for n in range(1, 6)], sort


def test_d11_a_forged_cursor_on_the_ticket_page_is_a_readable_error(app: Any) -> None:
    from tests.hub.ui.conftest import Browser, add_user

    add_user(app, "agent1", "agent")
    browser = Browser(app, "agent1")
    response = browser.get(f"/tickets?cursor={cursor_of(['-updated_at', 'abc', 1])}")
    assert response.status_code == 200, response.status_code  # the first page, with the reason
    assert "Not a cursor this API gave out" in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ['"' + "9" * 5000 + '"', "9" * 5000, 'W/"' + "1" * 30 + '"'])
def test_d11_an_oversized_if_match_is_a_412(api: Any, header: str) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    response = api.patch(f"/api/v1/incidents/{ref}", json={"title": "y"}, headers={"If-Match": header})
    assert_problem(response, 412)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                    "0001-01-01T00:00:00Z", "9999-12-31T12:00:00Z"])
def test_d11_times_beyond_what_the_hub_stores_are_a_422(api: Any, moment: str) -> None:
    listed = api.get("/api/v1/incidents", query_string={"updated_since": moment})
    assert "updated_since" in assert_problem(listed, 422)["errors"]
    created = api.post("/api/v1/changes", json={"title": "x", "planned_start": moment})
    assert "planned_start" in assert_problem(created, 422)["errors"]
    ref = api.post("/api/v1/changes", json={"title": "y"}).json["ref"]
    patched = api.patch(f"/api/v1/changes/{ref}", json={"planned_end": moment})
    assert "planned_end" in assert_problem(patched, 422)["errors"]


def test_d11_times_in_range_with_any_offset_are_read_as_utc(api: Any) -> None:
    assert api.get("/api/v1/incidents?updated_since=0001-01-03T00:00:00%2B14:00").status_code == 200
    created = api.post("/api/v1/changes", json={"title": "x", "planned_start": "2027-03-01T08:00:00+14:00",
                                                "planned_end": "2027-03-01T09:00:00+14:00"})
    assert created.status_code == 201 and created.json["planned_start"].startswith("2027-02-28T18:00:00")


def test_d11_the_tracker_refuses_out_of_range_times_from_any_source(app: Any, runtime: Any) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from hub.sdk.actors import Actor
    from hub.sdk.tracker_errors import ValidationFailed
    from hub.tracker.tickets import create_ticket

    for moment in (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), datetime(2027, 1, 1),
                   datetime(9999, 12, 31, 23, tzinfo=UTC), "2027-01-01"):
        with runtime.db.transaction() as session, pytest.raises(ValidationFailed) as raised:
            create_ticket(session=session, kind="change", values={"title": "x", "planned_start": moment},
                          actor=Actor.system())
        assert "planned_start" in raised.value.errors


# -- I3 ----------------------------------------------------------------------------------


def test_i3_an_over_long_query_is_a_414_problem(api: Any) -> None:
    response = api.get("/api/v1/changes?q=" + "a" * 5000)
    assert_problem(response, 414)
    assert "4096" in response.json["detail"]
    assert api.get("/api/v1/changes?q=" + "a" * 150).status_code == 200
