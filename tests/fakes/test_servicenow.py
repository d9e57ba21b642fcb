"""The ServiceNow double, driven over HTTP with requests exactly as a client would."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from tests.fakes.fixtures import *  # noqa: F403
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake

AUTH = ("admin", "admin")
SN_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
Server = FakeServer[ServiceNowFake]


def table(server: Server, name: str = "incident") -> str:
    return f"{server.url}/api/now/table/{name}"


def test_create_answers_201_with_location_and_string_values(servicenow_server: Server) -> None:
    response = requests.post(
        table(servicenow_server), json={"short_description": "Printer", "impact": 1, "urgency": 2}, auth=AUTH
    )

    assert response.status_code == 201
    record = response.json()["result"]
    assert re.fullmatch(r"[0-9a-f]{32}", record["sys_id"])
    assert response.headers["Location"].endswith(f"/api/now/table/incident/{record['sys_id']}")
    assert record["number"] == "INC0010001"
    assert all(isinstance(value, str) for value in record.values())
    assert (record["state"], record["impact"], record["urgency"], record["priority"]) == ("1", "1", "2", "2")
    assert record["sys_mod_count"] == "0"
    assert SN_TIME.match(record["sys_updated_on"])
    assert record["sys_created_by"] == "admin"


def test_change_requests_number_from_chg0030001_and_show_state_labels(servicenow_server: Server) -> None:
    created = requests.post(table(servicenow_server, "change_request"), json={"short_description": "Patch"}, auth=AUTH)
    sys_id = created.json()["result"]["sys_id"]

    shown = requests.get(
        f"{table(servicenow_server, 'change_request')}/{sys_id}", params={"sysparm_display_value": "all"}, auth=AUTH
    ).json()["result"]

    assert shown["number"] == {"display_value": "CHG0030001", "value": "CHG0030001"}
    assert shown["state"] == {"display_value": "New", "value": "-5"}
    assert shown["priority"] == {"display_value": "5 - Planning", "value": "5"}


@pytest.mark.parametrize(
    "credentials",
    [{}, {"auth": ("admin", "wrong")}, {"headers": {"Authorization": "Bearer nope"}}],
    ids=["none", "bad-password", "bad-token"],
)
def test_requests_without_valid_credentials_get_401(servicenow_server: Server, credentials: dict) -> None:
    response = requests.get(table(servicenow_server), **credentials)

    assert response.status_code == 401
    assert response.json() == {
        "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
        "status": "failure",
    }


def test_an_oauth_bearer_token_is_accepted(servicenow_server: Server) -> None:
    servicenow_server.fake.add_token("oauth-access-token", "integration")

    response = requests.post(
        table(servicenow_server),
        json={"short_description": "via OAuth"},
        headers={"Authorization": "Bearer oauth-access-token"},
    )

    assert response.status_code == 201
    assert response.json()["result"]["sys_created_by"] == "integration"


def test_a_client_walks_every_page_by_following_link_next(servicenow_server: Server) -> None:
    for index in range(7):
        servicenow_server.fake.create_record("incident", short_description=f"ticket {index}")
    url: str | None = table(servicenow_server)
    params: dict | None = {"sysparm_limit": 3, "sysparm_query": "ORDERBYnumber", "sysparm_fields": "number"}
    seen, pages = [], []

    while url:
        response = requests.get(url, params=params, auth=AUTH)
        params = None  # the next link carries every parameter
        pages.append(response)
        seen += [row["number"] for row in response.json()["result"]]
        url = response.links.get("next", {}).get("url")

    assert seen == [f"INC00{10001 + i}" for i in range(7)]
    assert [len(p.json()["result"]) for p in pages] == [3, 3, 1]
    assert {p.headers["X-Total-Count"] for p in pages} == {"7"}
    assert set(pages[1].links) == {"first", "prev", "next", "last"}
    assert "offset=6" in pages[0].links["last"]["url"]


def test_no_link_header_when_everything_fits_on_one_page(servicenow_server: Server) -> None:
    servicenow_server.fake.create_record("incident", short_description="only one")

    response = requests.get(table(servicenow_server), params={"sysparm_limit": 10}, auth=AUTH)

    assert "Link" not in response.headers
    assert response.headers["X-Total-Count"] == "1"


def test_updated_since_query_in_plain_utc_form_with_ordering(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    fake.clock.freeze(datetime(2026, 1, 10, 8, 0, tzinfo=UTC))
    old = fake.create_record("incident", short_description="old")
    fake.clock.advance(hours=2)
    later = fake.create_record("incident", short_description="later")
    fake.clock.advance(minutes=5)
    fake.update_record("incident", old["sys_id"], short_description="old, touched")

    rows = requests.get(
        table(servicenow_server),
        params={"sysparm_query": "sys_updated_on>=2026-01-10 10:00:00^ORDERBYsys_updated_on"},
        auth=AUTH,
    ).json()["result"]

    assert [(r["number"], r["sys_updated_on"]) for r in rows] == [
        (later["number"], "2026-01-10 10:00:00"),
        (old["number"], "2026-01-10 10:05:00"),
    ]


def test_gs_dategenerate_is_read_in_the_users_time_zone(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    fake.clock.freeze(datetime(2026, 1, 10, 18, 0, tzinfo=UTC))  # 10:00 in Los Angeles
    fake.create_record("incident", short_description="updated at 18:00 UTC")
    generated = "sys_updated_on>=javascript:gs.dateGenerate('2026-01-10','12:00:00')"

    def count(query: str) -> int:
        response = requests.get(table(servicenow_server), params={"sysparm_query": query}, auth=AUTH)
        return len(response.json()["result"])

    # A client passing a UTC time to gs.dateGenerate asks for 12:00 Los Angeles = 20:00 UTC.
    assert fake.user_timezone == "America/Los_Angeles"
    assert count(generated) == 0
    assert count("sys_updated_on>=2026-01-10 12:00:00") == 1
    fake.user_timezone = "UTC"
    assert count(generated) == 1


def test_correlation_id_query_and_the_documented_ignoring_of_invalid_fields(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    fake.create_record("incident", short_description="ours", correlation_id="hub-42")
    fake.create_record("incident", short_description="theirs")

    def numbers(query: str) -> int:
        return len(requests.get(table(servicenow_server), params={"sysparm_query": query}, auth=AUTH).json()["result"])

    assert numbers("correlation_id=hub-42") == 1
    assert numbers("correlation_id=hub-42^active=true") == 1
    assert numbers("correlaton_id=hub-42") == 2  # misspelt field: ignored, every row comes back
    fake.invalid_query_returns_no_rows = True
    assert numbers("correlaton_id=hub-42") == 0


def test_patch_bumps_mod_count_once_per_real_change(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    fake.clock.freeze(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    sys_id = fake.create_record("incident", short_description="x")["sys_id"]
    fake.clock.advance(60)

    first = requests.patch(f"{table(servicenow_server)}/{sys_id}", json={"state": "2"}, auth=AUTH).json()["result"]
    fake.clock.advance(60)
    again = requests.patch(f"{table(servicenow_server)}/{sys_id}", json={"state": 2}, auth=AUTH).json()["result"]
    put = requests.put(
        f"{table(servicenow_server)}/{sys_id}", json={"urgency": "1", "no_such_field": "ignored"}, auth=AUTH
    ).json()["result"]

    assert (first["state"], first["sys_mod_count"], first["sys_updated_on"]) == ("2", "1", "2026-03-01 09:01:00")
    assert (again["sys_mod_count"], again["sys_updated_on"]) == ("1", "2026-03-01 09:01:00")
    assert (put["sys_mod_count"], put["priority"], put["short_description"]) == ("2", "3", "x")
    assert "no_such_field" not in put


def test_resolving_and_closing_stamp_dates_and_deactivate(servicenow_server: Server) -> None:
    sys_id = servicenow_server.fake.create_record("incident", short_description="x")["sys_id"]
    url = f"{table(servicenow_server)}/{sys_id}"

    resolved = requests.patch(url, json={"state": "6", "close_code": "Solved"}, auth=AUTH).json()["result"]
    closed = requests.patch(url, json={"state": "7"}, auth=AUTH).json()["result"]

    assert resolved["active"] == "true"
    assert SN_TIME.match(resolved["resolved_at"])
    assert closed["active"] == "false"
    assert SN_TIME.match(closed["closed_at"])


def test_comments_and_work_notes_are_write_only_journal_fields(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    sys_id = fake.create_record("incident", short_description="x")["sys_id"]
    url = f"{table(servicenow_server)}/{sys_id}"

    record = requests.patch(url, json={"comments": "Seen it", "work_notes": "internal"}, auth=AUTH).json()["result"]
    fake.add_comment("incident", sys_id, "Customer says hi", user="beth.anglin")
    journal = requests.get(
        table(servicenow_server, "sys_journal_field"),
        params={"sysparm_query": f"element_id={sys_id}^element=comments^ORDERBYsys_created_on"},
        auth=AUTH,
    ).json()["result"]
    shown = requests.get(url, params={"sysparm_display_value": "true"}, auth=AUTH).json()["result"]

    assert (record["comments"], record["work_notes"], record["sys_mod_count"]) == ("", "", "1")
    assert [(j["element"], j["value"], j["sys_created_by"], j["name"]) for j in journal] == [
        ("comments", "Seen it", "admin", "incident"),
        ("comments", "Customer says hi", "beth.anglin", "incident"),
    ]
    assert all(SN_TIME.match(j["sys_created_on"]) for j in journal)
    assert "(Additional comments)\nCustomer says hi" in shown["comments"]
    assert "(Work notes)\ninternal" in shown["work_notes"]


def test_error_bodies_have_the_servicenow_shape(servicenow_server: Server) -> None:
    missing = requests.get(f"{table(servicenow_server)}/{'0' * 32}", auth=AUTH)
    bad_table = requests.get(table(servicenow_server, "no_such_table"), auth=AUTH)
    bad_body = requests.post(
        table(servicenow_server), data="{not json", headers={"Content-Type": "application/json"}, auth=AUTH
    )

    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"},
        "status": "failure",
    }
    assert (bad_table.status_code, bad_table.json()["error"]["message"]) == (400, "Invalid table no_such_table")
    assert (bad_body.status_code, bad_body.json()["status"]) == (400, "failure")


def test_injected_429s_carry_retry_after_and_rate_limit_headers(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    fake.fail_next(2, status=429, retry_after=3)

    answers = [requests.get(table(servicenow_server), auth=AUTH) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "3"
    assert {"X-RateLimit-Limit", "X-RateLimit-Reset", "X-RateLimit-Rule"} <= set(answers[0].headers)
    assert answers[0].json()["status"] == "failure"
    assert [r.fault for r in fake.received()] == ["status", "status", None]


def test_rate_limit_per_window_of_fake_time(servicenow_server: Server) -> None:
    fake = servicenow_server.fake
    fake.clock.freeze()
    fake.rate_limit(2, per_seconds=3600)

    statuses = [requests.get(table(servicenow_server), auth=AUTH) for _ in range(3)]
    fake.clock.advance(3600)
    after = requests.get(table(servicenow_server), auth=AUTH)

    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert statuses[0].headers["X-RateLimit-Limit"] == "2"
    assert statuses[2].headers["Retry-After"] == "3600"
    assert int(statuses[2].headers["X-RateLimit-Reset"]) == int(fake.clock.now().timestamp())
    assert after.status_code == 200


def test_a_timeout_fault_applies_the_write_but_the_client_never_hears(servicenow_server: Server) -> None:
    servicenow_server.fake.fail_next(kind="timeout", delay=2.0)

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(table(servicenow_server), json={"short_description": "twice?"}, auth=AUTH, timeout=0.3)

    assert [r["short_description"] for r in servicenow_server.fake.records("incident")] == ["twice?"]


def test_a_dropped_connection_changes_nothing(servicenow_server: Server) -> None:
    servicenow_server.fake.fail_next(kind="drop")

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(table(servicenow_server), json={"short_description": "lost"}, auth=AUTH, timeout=5)

    assert servicenow_server.fake.records("incident") == []


def test_fail_ratio_is_deterministic_for_a_seed(servicenow_server: Server) -> None:
    fake = servicenow_server.fake

    def run() -> list[int]:
        fake.fail_ratio(0.5, statuses=(500, 503), seed=7)
        return [requests.get(table(servicenow_server), auth=AUTH).status_code for _ in range(12)]

    first, second = run(), run()

    assert first == second
    assert {500, 503, 200} <= set(first)
    fake.clear_faults()
    assert requests.get(table(servicenow_server), auth=AUTH).status_code == 200


def test_parallel_clients_get_distinct_numbers(servicenow_server: Server) -> None:
    def create(index: int) -> str:
        response = requests.post(table(servicenow_server), json={"short_description": f"#{index}"}, auth=AUTH)
        return str(response.json()["result"]["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(24)))

    assert sorted(numbers) == [f"INC00{10001 + i}" for i in range(24)]


def test_a_query_the_double_cannot_evaluate_fails_loudly() -> None:
    # Served without the fixture, whose teardown would (rightly) fail on the internal error.
    with FakeServer(ServiceNowFake()) as server:
        response = requests.get(
            table(server), params={"sysparm_query": "sys_created_on>=javascript:gs.beginningOfToday()"}, auth=AUTH
        )

    assert response.status_code == 500
    assert [type(e).__name__ for e in server.fake.internal_errors] == ["UnsupportedQuery"]


def test_received_requests_are_recorded_with_body_user_and_status(servicenow_server: Server) -> None:
    requests.post(table(servicenow_server), json={"short_description": "logged"}, auth=AUTH)

    (record,) = servicenow_server.fake.received("POST", r"/incident$")

    assert (record.user, record.status, record.json) == ("admin", 201, {"short_description": "logged"})
    assert record.headers["Authorization"].startswith("Basic ")
