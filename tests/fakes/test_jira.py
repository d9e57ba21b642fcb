"""The Jira Cloud double, driven over HTTP with requests exactly as a client would."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.fakes.fixtures import *  # noqa: F403
from tests.fakes.jira import JiraFake, adf, adf_text
from tests.fakes.runner import FakeServer

AUTH = ("hub@example.com", "jira-token")
JIRA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
Server = FakeServer[JiraFake]
WINTER = datetime(2026, 1, 15, 9, 30, 45, tzinfo=UTC)  # 10:30:45 in Berlin


def api(server: Server, path: str) -> str:
    return f"{server.url}/rest/api/3/{path}"


def create(server: Server, summary: str = "Printer on fire", **fields: Any) -> dict[str, Any]:
    body = {"project": {"key": "ITSM"}, "issuetype": {"name": "Incident"}, "summary": summary, **fields}
    response = requests.post(api(server, "issue"), json={"fields": body}, auth=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def search(server: Server, jql: str, **params: Any) -> requests.Response:
    return requests.get(api(server, "search/jql"), params={"jql": jql, **params}, auth=AUTH)


def test_create_then_get_an_issue_in_v3_shape(jira_server: Server) -> None:
    jira_server.fake.clock.freeze(WINTER)

    created = create(jira_server, description=adf("It smokes"), priority={"name": "High"}, labels=["hub", "sync"])
    issue = requests.get(api(jira_server, f"issue/{created['key']}"), auth=AUTH).json()

    assert created == {"id": "10001", "key": "ITSM-1", "self": f"{jira_server.url}/rest/api/3/issue/10001"}
    fields = issue["fields"]
    assert (fields["summary"], fields["priority"]["name"], fields["labels"]) == (
        "Printer on fire",
        "High",
        ["hub", "sync"],
    )
    assert adf_text(fields["description"]) == "It smokes"
    assert (fields["status"]["name"], fields["status"]["statusCategory"]["key"]) == ("To Do", "new")
    assert fields["issuetype"]["name"] == "Incident"
    assert fields["created"] == fields["updated"] == "2026-01-15T10:30:45.000+0100"
    assert JIRA_TIME.match(fields["created"])


def test_get_issue_with_a_fields_list(jira_server: Server) -> None:
    key = create(jira_server)["key"]

    issue = requests.get(api(jira_server, f"issue/{key}"), params={"fields": "summary,status"}, auth=AUTH).json()

    assert set(issue["fields"]) == {"summary", "status"}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"summary": ""}, {"summary": "You must specify a summary of the issue."}),
        ({"description": "plain text"}, {"description": "Operation value must be an Atlassian Document"}),
        ({"labels": ["two words"]}, {"labels": "The label 'two words' contains spaces which is invalid."}),
        ({"project": {"key": "NOPE"}}, {"project": "Specify a valid project ID or key"}),
        ({"issuetype": {"name": "Epic"}}, {"issuetype": "Specify an issue type"}),
        ({"status": {"name": "Done"}}, {"status": "Field 'status' cannot be set."}),
    ],
    ids=["summary", "adf", "labels", "project", "issuetype", "status"],
)
def test_create_refuses_what_jira_refuses(jira_server: Server, fields: dict, errors: dict) -> None:
    body = {"project": {"key": "ITSM"}, "issuetype": {"name": "Incident"}, "summary": "x", **fields}

    response = requests.post(api(jira_server, "issue"), json={"fields": body}, auth=AUTH)

    assert response.status_code == 400
    assert response.json()["errorMessages"] == []
    for name, start in errors.items():
        assert response.json()["errors"][name].startswith(start)


def test_basic_auth_with_email_and_api_token_only(jira_server: Server) -> None:
    wrong = requests.get(api(jira_server, "myself"), auth=("hub@example.com", "wrong"))
    bearer = requests.get(api(jira_server, "myself"), headers={"Authorization": "Bearer jira-token"})
    me = requests.get(api(jira_server, "myself"), auth=AUTH)

    assert (wrong.status_code, bearer.status_code) == (401, 401)
    assert wrong.json()["errorMessages"] == ["Client must be authenticated to access this resource."]
    assert (me.json()["emailAddress"], me.json()["timeZone"]) == ("hub@example.com", "Europe/Berlin")


def test_transitions_offer_other_statuses_and_refuse_the_rest(jira_server: Server) -> None:
    key = create(jira_server)["key"]
    url = api(jira_server, f"issue/{key}/transitions")

    offered = requests.get(url, auth=AUTH).json()["transitions"]
    refused = requests.post(url, json={"transition": {"id": "11"}}, auth=AUTH)
    started = requests.post(url, json={"transition": {"id": "21"}}, auth=AUTH)
    done = requests.post(
        url,
        json={"transition": {"id": "31"}, "update": {"comment": [{"add": {"body": adf("Fixed")}}]}},
        auth=AUTH,
    )
    issue = requests.get(api(jira_server, f"issue/{key}"), auth=AUTH).json()["fields"]

    assert [(t["id"], t["name"], t["to"]["name"]) for t in offered] == [
        ("21", "In Progress", "In Progress"),
        ("31", "Done", "Done"),
    ]
    assert refused.status_code == 400
    assert refused.json() == {"errorMessages": ["Transition id '11' is not valid for this issue."], "errors": {}}
    assert (started.status_code, done.status_code) == (204, 204)
    assert (issue["status"]["name"], issue["resolution"]["name"]) == ("Done", "Done")
    assert JIRA_TIME.match(issue["resolutiondate"])
    assert adf_text(issue["comment"]["comments"][0]["body"]) == "Fixed"


def test_edit_with_fields_and_update_verbs(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.clock.freeze(WINTER)
    key = create(jira_server, labels=["a"])["key"]
    fake.clock.advance(90)

    edited = requests.put(
        api(jira_server, f"issue/{key}"),
        json={"fields": {"summary": "Renamed"}, "update": {"labels": [{"add": "b"}, {"remove": "a"}]}},
        auth=AUTH,
    )
    status = requests.put(api(jira_server, f"issue/{key}"), json={"fields": {"status": "Done"}}, auth=AUTH)
    fields = requests.get(api(jira_server, f"issue/{key}"), auth=AUTH).json()["fields"]

    assert (edited.status_code, edited.text) == (204, "")
    assert status.status_code == 400
    assert status.json()["errors"]["status"] == (
        "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
    )
    assert (fields["summary"], fields["labels"]) == ("Renamed", ["b"])
    assert fields["updated"] == "2026-01-15T10:32:15.000+0100"


def test_internal_and_public_comments_both_ways(jira_server: Server) -> None:
    key = create(jira_server)["key"]
    comments = api(jira_server, f"issue/{key}/comment")
    internal = {"key": "sd.public.comment", "value": {"internal": True}}

    note = requests.post(comments, json={"body": adf("agents only"), "properties": [internal]}, auth=AUTH)
    reply = requests.post(comments, json={"body": adf("hello customer")}, auth=AUTH)
    jsm = requests.post(
        f"{jira_server.url}/rest/servicedeskapi/request/{key}/comment",
        json={"body": "JSM note", "public": False},
        auth=AUTH,
    )
    plain = requests.post(comments, json={"body": "not ADF"}, auth=AUTH)
    listed = requests.get(comments, params={"expand": "properties"}, auth=AUTH).json()
    public_only = requests.get(
        f"{jira_server.url}/rest/servicedeskapi/request/{key}/comment", params={"internal": "false"}, auth=AUTH
    ).json()

    assert (note.status_code, note.json()["jsdPublic"]) == (201, False)
    assert reply.json()["jsdPublic"] is True
    assert (jsm.status_code, jsm.json()["public"], jsm.json()["body"]) == (201, False, "JSM note")
    assert plain.status_code == 400
    assert listed["total"] == 3
    assert [c["jsdPublic"] for c in listed["comments"]] == [False, True, False]
    assert listed["comments"][0]["properties"] == [internal]
    assert [v["body"] for v in public_only["values"]] == ["hello customer"]


def test_enhanced_search_pages_with_next_page_token_and_has_no_total(jira_server: Server) -> None:
    for index in range(7):
        jira_server.fake.create_issue("ITSM", f"issue {index}")
    jql = "project = ITSM ORDER BY key ASC"
    token: str | None = None
    pages = []

    while True:
        params = {"maxResults": 3, "fields": "summary"} | ({"nextPageToken": token} if token else {})
        page = search(jira_server, jql, **params).json()
        pages.append(page)
        token = page.get("nextPageToken")
        if token is None:
            break

    assert [len(p["issues"]) for p in pages] == [3, 3, 1]
    assert [p["isLast"] for p in pages] == [False, False, True]
    assert all("total" not in p for p in pages)
    assert [i["key"] for p in pages for i in p["issues"]] == [f"ITSM-{n}" for n in range(1, 8)]


def test_post_search_and_the_default_of_ids_only(jira_server: Server) -> None:
    jira_server.fake.create_issue("ITSM", "one")

    by_post = requests.post(api(jira_server, "search/jql"), json={"jql": "project = ITSM"}, auth=AUTH)
    unknown_key = requests.post(api(jira_server, "search/jql"), json={"jql": "project = ITSM", "startAt": 0}, auth=AUTH)

    assert by_post.json() == {"issues": [{"id": "10001"}], "isLast": True}
    assert unknown_key.status_code == 400


def test_pages_may_be_shorter_than_max_results(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.search_page_cap = 2
    for index in range(3):
        fake.create_issue("ITSM", f"issue {index}")

    page = search(jira_server, "project = ITSM", maxResults=50, fields="summary").json()
    ids_only = search(jira_server, "project = ITSM", maxResults=50).json()

    assert (len(page["issues"]), page["isLast"]) == (2, False)
    assert "nextPageToken" in page
    assert (len(ids_only["issues"]), ids_only["isLast"]) == (3, True)


@pytest.mark.parametrize(
    ("path", "method"),
    [("api/3/search", "GET"), ("api/3/search", "POST"), ("api/2/search", "GET"), ("api/2/search", "POST")],
)
def test_the_removed_search_endpoints_answer_410(jira_server: Server, path: str, method: str) -> None:
    response = requests.request(method, f"{jira_server.url}/rest/{path}", json={"jql": "project = ITSM"}, auth=AUTH)

    assert response.status_code == 410
    assert response.json()["errorMessages"][0].startswith("The requested API has been removed.")


@pytest.mark.parametrize(
    ("jql", "params", "message"),
    [
        ("ORDER BY updated ASC", {}, "Unbounded JQL queries are not allowed here."),
        ('project = ITSM AND updated >= "2026-01-15 10:30:00"', {}, "Date value '2026-01-15 10:30:00'"),
        ("project = ITSM AND colour = red", {}, "Field 'colour' does not exist"),
        ("project = NOPE", {}, "The value 'NOPE' does not exist for the field 'project'."),
        ("project = ITSM", {"maxResults": 0}, "The max results parameter has to be between 1 and 5,000."),
        ("project = ITSM", {"nextPageToken": "garbage"}, "The provided next page token is invalid"),
    ],
    ids=["unbounded", "seconds", "field", "project", "max-results", "token"],
)
def test_search_refusals(jira_server: Server, jql: str, params: dict, message: str) -> None:
    response = search(jira_server, jql, **params)

    assert response.status_code == 400
    assert response.json()["errorMessages"][0].startswith(message)


def test_jql_times_have_minute_precision_in_the_users_time_zone(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.clock.freeze(WINTER)  # updated 09:30:45 UTC, 10:30:45 Berlin
    fake.create_issue("ITSM", "updated at 09:30:45 UTC")

    def found(moment: str, operator: str = ">=") -> int:
        jql = f'project = ITSM AND updated {operator} "{moment}" ORDER BY updated ASC'
        return len(search(jira_server, jql).json()["issues"])

    assert found("2026-01-15 10:30") == 1
    assert found("2026-01-15 10:30", ">") == 1  # 10:30:45 is after 10:30:00
    assert found("2026-01-15 10:31") == 0
    assert found("2026/01/15 10:30") == 1
    assert found("-5m") == 1
    # A client writing UTC wall time would ask for 09:30 *Berlin* and get too much...
    assert found("2026-01-15 09:30") == 1
    # ...and one whose user sits west of UTC silently misses the update.
    fake.set_timezone("hub@example.com", "America/New_York")
    assert found("2026-01-15 09:30") == 0
    assert requests.get(api(jira_server, "issue/ITSM-1"), auth=AUTH).json()["fields"]["updated"] == (
        "2026-01-15T04:30:45.000-0500"
    )


def test_search_lags_behind_writes_by_fake_time(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.clock.freeze(WINTER)
    fake.set_search_lag(seconds=5)
    created = create(jira_server)

    before = search(jira_server, "project = ITSM").json()["issues"]
    direct = requests.get(api(jira_server, f"issue/{created['key']}"), auth=AUTH)
    reconciled = search(jira_server, "project = ITSM", reconcileIssues=created["id"]).json()["issues"]
    fake.clock.advance(5)
    after = search(jira_server, "project = ITSM").json()["issues"]

    assert before == []
    assert direct.status_code == 200
    assert reconciled == [{"id": created["id"]}]
    assert after == [{"id": created["id"]}]


def test_search_lags_behind_writes_by_a_number_of_searches(jira_server: Server) -> None:
    fake = jira_server.fake
    key = fake.create_issue("ITSM", "Old summary")["key"]
    fake.set_search_lag(searches=2)
    requests.put(api(jira_server, f"issue/{key}"), json={"fields": {"summary": "New summary"}}, auth=AUTH)

    def summaries() -> list[str]:
        issues = search(jira_server, "project = ITSM", fields="summary").json()["issues"]
        return [i["fields"]["summary"] for i in issues]

    assert [summaries() for _ in range(3)] == [["Old summary"], ["Old summary"], ["New summary"]]
    fake.update_issue(key, summary="Newest")
    fake.reindex()
    assert summaries() == ["Newest"]


def test_rate_limit_headers_and_429(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.clock.freeze(WINTER)
    fake.rate_limit(5, per_seconds=60)

    answers = [requests.get(api(jira_server, "myself"), auth=AUTH) for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert (answers[0].headers["X-RateLimit-Limit"], answers[0].headers["X-RateLimit-Remaining"]) == ("5", "4")
    assert "X-RateLimit-NearLimit" not in answers[0].headers
    assert answers[4].headers["X-RateLimit-NearLimit"] == "true"
    limited = answers[5].headers
    assert (limited["Retry-After"], limited["RateLimit-Reason"]) == ("60", "jira-quota-based")
    assert limited["X-RateLimit-Reset"] == "2026-01-15T09:31Z"


def test_faults_can_target_one_endpoint(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.create_issue("ITSM", "x")
    fake.fail_next(1, status=503, retry_after=1, paths=r"/search/jql$")

    other = requests.get(api(jira_server, "issue/ITSM-1"), auth=AUTH)
    failed = search(jira_server, "project = ITSM")
    retried = search(jira_server, "project = ITSM")

    assert (other.status_code, failed.status_code, retried.status_code) == (200, 503, 200)
    assert failed.headers["Retry-After"] == "1"
    assert failed.json()["errorMessages"] == ["Service Unavailable"]


def test_a_body_that_is_not_json_is_415(jira_server: Server) -> None:
    response = requests.post(api(jira_server, "issue"), data="summary=x", auth=AUTH)

    assert response.status_code == 415


def upload(
    server: Server, key: str, *files: tuple[str, bytes, str], token: str | None = "no-check"
) -> requests.Response:
    headers = {"X-Atlassian-Token": token} if token else {}
    parts = [("file", (name, data, kind)) for name, data, kind in files]
    return requests.post(api(server, f"issue/{key}/attachments"), files=parts, headers=headers, auth=AUTH)


def test_an_upload_needs_the_xsrf_header_and_answers_the_new_attachments(jira_server: Server) -> None:
    fake = jira_server.fake
    fake.clock.freeze(WINTER)
    key = create(jira_server)["key"]
    fake.clock.advance(60)

    blocked = upload(jira_server, key, ("log.txt", b"boom", "text/plain"), token=None)
    made = upload(jira_server, key, ("log.txt", b"boom", "text/plain"), ("shot.png", b"\x89PNG", ""))
    fields = requests.get(api(jira_server, f"issue/{key}"), params={"fields": "attachment,updated"}, auth=AUTH).json()

    assert (blocked.status_code, blocked.text) == (403, "XSRF check failed")
    assert made.status_code == 200
    first, second = made.json()
    assert (first["id"], first["filename"], first["size"], first["mimeType"]) == ("10200", "log.txt", 4, "text/plain")
    assert first["author"]["emailAddress"] == "hub@example.com" and JIRA_TIME.match(first["created"])
    assert first["content"] == f"{jira_server.url}/rest/api/3/attachment/content/10200"
    assert "thumbnail" not in first
    assert (second["mimeType"], second["thumbnail"]) == ("image/png", api(jira_server, "attachment/thumbnail/10201"))
    assert fields["fields"]["attachment"] == made.json()
    assert fields["fields"]["updated"] == "2026-01-15T10:31:45.000+0100"  # adding a file updates the issue
    assert [a["data"] for a in fake.attachments(key)] == [b"boom", b"\x89PNG"]


def test_upload_refusals(jira_server: Server) -> None:
    fake = jira_server.fake
    key = create(jira_server)["key"]
    fake.set_attachment_limit(3)

    too_large = upload(jira_server, key, ("big.bin", b"1234", "application/octet-stream"))
    unknown = upload(jira_server, "ITSM-99", ("a.txt", b"a", "text/plain"))
    as_json = requests.post(
        api(jira_server, f"issue/{key}/attachments"),
        json={"file": "x"},
        headers={"X-Atlassian-Token": "no-check"},
        auth=AUTH,
    )

    assert too_large.status_code == 413
    assert too_large.json()["errorMessages"][0].startswith("The attachment exceeds the maximum attachment size")
    assert unknown.status_code == 404
    assert as_json.status_code == 415
    assert fake.attachments(key) == []


def test_attachment_content_redirects_to_the_media_store(jira_server: Server) -> None:
    fake = jira_server.fake
    key = fake.create_issue("ITSM", "with a file")["key"]
    attachment = fake.add_attachment(key, "résumé.pdf", b"%PDF-1.7", mime_type="application/pdf")
    url = api(jira_server, f"attachment/content/{attachment['id']}")

    redirected = requests.get(url, auth=AUTH, allow_redirects=False)
    followed = requests.get(url, auth=AUTH)
    direct = requests.get(url, params={"redirect": "false"}, auth=AUTH)
    missing = requests.get(api(jira_server, "attachment/content/999"), auth=AUTH)
    listed = requests.get(api(jira_server, f"issue/{key}"), params={"fields": "attachment"}, auth=AUTH).json()

    assert redirected.status_code == 303
    assert redirected.headers["Location"].startswith(f"{jira_server.url}/media/file/")
    assert (followed.status_code, followed.content, followed.headers["Content-Type"]) == (
        200,
        b"%PDF-1.7",
        "application/pdf",
    )
    assert followed.history[0].status_code == 303
    assert (direct.status_code, direct.content) == (200, b"%PDF-1.7")
    assert missing.status_code == 404
    (item,) = listed["fields"]["attachment"]
    assert (item["filename"], item["size"], item["author"]["emailAddress"]) == ("résumé.pdf", 8, "agent@example.com")
