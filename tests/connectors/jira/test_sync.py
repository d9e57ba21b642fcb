"""Two-way sync with Jira Cloud / Jira Service Management, against the REST v3 double over real HTTP.

Each test is one line of the issue's "done when": a remote issue appears within one poll
with its comments; a hub change arrives once and is not echoed; comments go both ways
with their visibility; a conflict resolves by policy and shows in the audit; a lost answer
to a create makes no duplicate, even while the search index lags; 429s, 5xx, timeouts and
dropped connections lose and repeat nothing; an issue the search misses once comes with
the next poll.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import ConnectorInstance, ExternalLink
from hub.sdk.http import HttpClient
from tests.fakes.fixtures import jira_server  # noqa: F401 - a fixture
from tests.fakes.jira import JiraFake, adf_text
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace, scaled

Server = FakeServer[JiraFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("jira", "connectors.jira")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    # Loss and duplication are the subject of the fault tests, not the dead-letter policy.
    app_config["OUTBOX_MAX_ATTEMPTS"] = 50
    return app_config


@pytest.fixture(autouse=True)
def quick_inline_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's own waits between retries cut twentyfold: the same retries, less idling."""
    original = HttpClient.__init__

    def init(self: HttpClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.sleep = lambda seconds: time.sleep(seconds / 20)

    monkeypatch.setattr(HttpClient, "__init__", init)


def add_instance(api: Any, server: Server, **config: Any) -> int:
    body = {"connector": "jira", "slug": "jira", "enabled": True, "poll_interval": 3600,
            "config": {"site_url": server.url, "email": "hub@example.com", "api_token": "jira-token",
                       "project": "ITSM", "incident_types": ["Incident"], "change_types": ["Change"], **config}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 201, response.json
    with api.client.application.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(ConnectorInstance.id).where(ConnectorInstance.slug == "jira")))


@pytest.fixture
def jira(api: Any, jira_server: Server) -> tuple[Server, int]:  # noqa: F811
    return jira_server, add_instance(api, jira_server)


def new_issue(server: Server, summary: str, **fields: Any) -> dict[str, Any]:
    return server.fake.create_issue("ITSM", summary, issuetype=fields.pop("issuetype", "Incident"), **fields)


def incidents(api: Any) -> list[dict[str, Any]]:
    return api.get("/api/v1/incidents?limit=100").json["items"]


def only_incident(api: Any) -> dict[str, Any]:
    (item,) = incidents(api)
    return api.get(f"/api/v1/incidents/{item['ref']}").json


def comments(api: Any, ref: str) -> list[tuple[str, str]]:
    items = api.get(f"/api/v1/incidents/{ref}/comments").json
    return [(c["body"], c["visibility"]) for c in items]


def remote_comments(server: Server, key: str) -> list[tuple[str, bool, str]]:
    return [(adf_text(c["body"]), c["internal"], c["author"]) for c in server.fake.comments(key)]


def audit(api: Any, ref: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json


def test_an_issue_made_in_jira_appears_within_one_poll(api: Any, runtime: Any, jira: tuple[Server, int]) -> None:
    server, instance = jira
    issue = new_issue(server, "Printer on floor 2 jams", description="Every second page\nsince Monday",
                      priority="Highest")
    server.fake.add_comment(issue["key"], "It happens since Monday")
    server.fake.add_comment(issue["key"], "Checked the rollers", internal=True)
    new_issue(server, "A story, not synced", issuetype="Task")

    result = run_poll(runtime, instance)

    assert result["status"] == "ok", result
    ticket = only_incident(api)
    assert (ticket["title"], ticket["description"], ticket["urgency"], ticket["status"]) == (
        "Printer on floor 2 jams", "Every second page\nsince Monday", "high", "new")
    assert ticket["custom_fields"]["jira_key"] == issue["key"]
    assert comments(api, ticket["ref"]) == [("It happens since Monday", "public"), ("Checked the rollers", "internal")]
    again = run_poll(runtime, instance)  # the overlap window re-reads it: recognised, not repeated
    assert (again["created"], again["fetched"]) == (0, 0)
    assert len(incidents(api)) == 1 and len(comments(api, ticket["ref"])) == 2
    searches = server.fake.received("GET", r"/search/jql$")
    assert 'updated >= "' in searches[-1].query["jql"][0] and "ORDER BY updated ASC" in searches[-1].query["jql"][0]
    assert not server.fake.received(path=r"/rest/api/[23]/search$")  # never the removed search


def test_jql_times_are_written_in_the_accounts_time_zone(api: Any, runtime: Any, jira: tuple[Server, int]) -> None:
    server, instance = jira
    # West of UTC: a client writing UTC wall time would search hours ahead and miss every update.
    server.fake.set_timezone("hub@example.com", "America/New_York")
    key = new_issue(server, "Heating off in hall B")["key"]
    run_poll(runtime, instance)
    server.fake.clock.advance(minutes=3)
    server.fake.update_issue(key, summary="Heating off in hall B and C")

    result = run_poll(runtime, instance)

    assert (result["fetched"], result["updated"]) == (1, 1)
    assert only_incident(api)["title"] == "Heating off in hall B and C"


def test_a_hub_change_arrives_once_and_is_not_echoed(api: Any, app: Any, runtime: Any,
                                                    jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Door sensor dead", priority="Medium")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "Door sensor B2 dead", "urgency": "high"}
                     ).status_code == 200
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"}).status_code == 200
    drain(app)

    remote = server.fake.issue(key)
    assert (remote["summary"], remote["priority"], remote["status"]) == ("Door sensor B2 dead", "High", "In Progress")
    # The fields went in one edit and the status by one transition, when the first change was delivered.
    assert len(server.fake.received("PUT", r"/issue/")) == 1
    assert len(server.fake.received("POST", r"/transitions$")) == 1
    audit_before = audit(api, ref)
    writes_before = len([r for r in server.fake.received() if r.method in ("PUT", "POST")])
    run_poll(runtime, instance)
    drain(app)
    assert len([r for r in server.fake.received() if r.method in ("PUT", "POST")]) == writes_before  # no bounce out
    assert audit(api, ref) == audit_before  # nor in


def test_a_hub_resolve_takes_the_transition_to_done(api: Any, app: Any, runtime: Any,
                                                    jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Broken chair")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    for status in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": status}).status_code == 200
    drain(app)

    assert server.fake.issue(key)["status"] == "Done"
    taken = [r.json["transition"]["id"] for r in server.fake.received("POST", r"/transitions$")]
    assert taken == ["31"]  # straight to Done: the first push already saw the hub's latest state
    run_poll(runtime, instance)
    assert only_incident(api)["status"] == "resolved"


def test_comments_go_both_ways_with_their_visibility(api: Any, app: Any, runtime: Any,
                                                     jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Leaking tap, room 12")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A plumber comes at 3\nBring a key",
                                                        "visibility": "public"})
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Spare parts on order", "visibility": "internal"})
    drain(app)
    server.fake.add_comment(key, "Thanks, I will be there")
    server.fake.add_comment(key, "Customer is VIP", internal=True)
    run_poll(runtime, instance)
    drain(app)
    run_poll(runtime, instance)

    assert remote_comments(server, key) == [
        ("A plumber comes at 3\nBring a key", False, "hub@example.com"),
        ("Spare parts on order", True, "hub@example.com"),
        ("Thanks, I will be there", False, "agent@example.com"),
        ("Customer is VIP", True, "agent@example.com")]
    assert comments(api, ref) == [("A plumber comes at 3\nBring a key", "public"),
                                  ("Spare parts on order", "internal"),
                                  ("Thanks, I will be there", "public"), ("Customer is VIP", "internal")]


def test_a_conflict_resolves_by_newest_change_and_is_audited(api: Any, app: Any, runtime: Any,
                                                             jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Boiler pressure low")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    # The hub edits first; Jira edits the same field a minute later, before the push.
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Boiler pressure low (hub)"})
    server.fake.clock.advance(minutes=1)
    server.fake.update_issue(key, summary="Boiler pressure low (remote)")

    drain(app)  # the push sees the remote change and leaves the field to the policy
    assert server.fake.issue(key)["summary"] == "Boiler pressure low (remote)"
    run_poll(runtime, instance)

    assert only_incident(api)["title"] == "Boiler pressure low (remote)"
    conflicts = [a for a in audit(api, ref) if a["action"] == "sync_conflict"]
    assert len(conflicts) == 1 and "newest change wins" in conflicts[0]["note"]


def test_a_field_the_hub_owns_wins_and_jira_is_corrected(api: Any, app: Any, runtime: Any,
                                                         jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    rules = [{"field": "title", "remote": "summary", "owner": "hub"},
             {"field": "status", "remote": "status", "kind": "incident",
              "values_in": {"To Do": "new", "In Progress": "in_progress", "Done": "resolved"}}]
    instance = add_instance(api, server, field_map=rules)
    key = new_issue(server, "Lift stuck")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.clock.advance(minutes=1)
    server.fake.update_issue(key, summary="Lift stuck (remote)")
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Lift 3 stuck"})  # queued, not yet pushed

    run_poll(runtime, instance)
    drain(app)

    assert only_incident(api)["title"] == "Lift 3 stuck"
    assert server.fake.issue(key)["summary"] == "Lift 3 stuck"
    notes = [a["note"] for a in audit(api, ref) if a["action"] == "sync_conflict"]
    assert notes and "hub side owns it" in notes[0]


def test_a_jira_done_walks_the_hub_states(api: Any, runtime: Any, jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Flickering light")["key"]
    run_poll(runtime, instance)
    server.fake.transition_issue(key, "Done")

    run_poll(runtime, instance)

    ticket = only_incident(api)
    assert ticket["status"] == "resolved"
    moves = [a["changes"]["status"] for a in audit(api, ticket["ref"]) if a["action"] in ("transitioned", "reopened")]
    assert moves == [["new", "resolved"]]


def test_a_change_issue_is_a_hub_change_and_a_state_jira_lacks_stays_in_the_hub(api: Any, app: Any, runtime: Any,
                                                                                 jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Replace core switch", issuetype="Change")["key"]
    run_poll(runtime, instance)
    (item,) = api.get("/api/v1/changes?limit=10").json["items"]
    assert (item["title"], item["status"]) == ("Replace core switch", "draft")

    assert api.post(f"/api/v1/changes/{item['ref']}/transitions", json={"to": "submitted"}).status_code == 200
    drain(app)
    run_poll(runtime, instance)

    # The simplified workflow has no "Awaiting CAB approval": Jira stays in To Do, the hub
    # keeps its state, and neither side counts it as a change of the other.
    assert server.fake.issue(key)["status"] == "To Do"
    assert not server.fake.received("POST", r"/transitions$")
    ref = item["ref"]
    assert api.get(f"/api/v1/changes/{ref}").json["status"] == "submitted"
    assert not [a for a in api.get(f"/api/v1/changes/{ref}/audit?limit=500").json if a["action"] == "sync_conflict"]


def test_a_lost_create_answer_makes_no_duplicate(api: Any, app: Any, runtime: Any,
                                                 jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, create_remote=True, timeout_seconds=k)
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/rest/api/3/issue$", method="POST")
    # The create is made in Jira but its answer never comes (a worker killed mid-call looks the same).
    response = api.post("/api/v1/incidents", json={"title": "Fridge in canteen warm", "description": "Since noon"})
    assert response.status_code == 201, response.json
    ref = response.json["ref"]

    drain(app, timeout=30)
    run_poll(runtime, instance)
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    made = server.fake.issues()
    assert len(made) == 1 and made[0]["summary"] == "Fridge in canteen warm"
    assert made[0]["labels"] == [f"itsm-hub-{ref}"] and adf_text(made[0]["description"]) == "Since noon"
    assert [i["ref"] for i in incidents(api)] == [ref]
    with runtime.db.reading() as session:
        assert list(session.scalars(select(ExternalLink.external_id))) == [made[0]["id"]]


def test_a_lost_create_answer_while_the_index_lags_makes_no_duplicate(api: Any, app: Any, runtime: Any,
                                                                     jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    k = pace()  # timings below stretch together on a crowded machine
    add_instance(api, server, create_remote=True, timeout_seconds=k, index_settle_seconds=4 * k)
    server.fake.set_search_lag(seconds=2.5 * k)  # longer than the answer is late: the retry's search misses it
    server.fake.fail_next(kind="timeout", delay=1.5 * k, paths=r"/rest/api/3/issue$", method="POST")

    response = api.post("/api/v1/incidents", json={"title": "Window will not close"})
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert len(server.fake.issues()) == 1
    assert len(server.fake.received("POST", r"/rest/api/3/issue$")) == 1
    waited = [r for r in server.fake.received("GET", r"/search/jql$") if "labels" in r.query["jql"][0]]
    assert len(waited) >= 2  # looked, waited for the index, looked again and found it
    with runtime.db.reading() as session:
        link = session.scalar(select(ExternalLink))
    assert link is not None and link.external_id == server.fake.issues()[0]["id"]
    assert server.fake.issues()[0]["labels"] == [f"itsm-hub-{response.json['ref']}"]


def test_a_late_first_try_still_waits_for_the_index_before_creating_again(api: Any, app: Any, runtime: Any,
                                                                          jira_server: Server) -> None:  # noqa: F811
    """A delivery backlog: the first create runs long after the ticket was made, its answer is
    lost and the search lags. The retry must still wait for the index, not create a twin."""
    from datetime import timedelta

    from sqlalchemy import update

    from hub.models import Ticket

    server = jira_server
    k = pace()  # timings below stretch together on a crowded machine
    add_instance(api, server, create_remote=True, timeout_seconds=k, index_settle_seconds=4 * k)
    server.fake.set_search_lag(seconds=2.5 * k)
    server.fake.fail_next(kind="timeout", delay=1.5 * k, paths=r"/rest/api/3/issue$", method="POST")
    api.post("/api/v1/incidents", json={"title": "Door of bay 3 sticks"})
    with runtime.db.transaction() as session:  # made an hour ago; its delivery only runs now
        session.execute(update(Ticket).values(created_at=runtime.now() - timedelta(hours=1)))
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)
    assert len(server.fake.issues()) == 1
    assert len(server.fake.received("POST", r"/rest/api/3/issue$")) == 1


def test_an_issue_the_search_misses_once_comes_with_the_next_poll(api: Any, runtime: Any,
                                                                  jira: tuple[Server, int]) -> None:
    server, instance = jira
    server.fake.set_search_lag(searches=1)  # the index has not caught up for the next search
    new_issue(server, "Late in the index")
    server.fake.set_search_lag()
    server.fake.clock.advance(minutes=2)
    new_issue(server, "Indexed at once")  # moves the cursor past the late one

    first = run_poll(runtime, instance)
    second = run_poll(runtime, instance)
    third = run_poll(runtime, instance)

    assert (first["created"], second["created"], third["fetched"]) == (1, 1, 0)
    assert sorted(i["title"] for i in incidents(api)) == ["Indexed at once", "Late in the index"]


def test_429s_and_5xx_for_half_the_polls_calls_lose_and_repeat_nothing(api: Any, runtime: Any,
                                                                      jira: tuple[Server, int]) -> None:
    server, instance = jira
    for n in range(25):
        new_issue(server, f"Complaint {n}")
        server.fake.clock.advance(seconds=10)
    instance_config = api.get("/api/v1/admin/instances/jira").json["config"]
    api.patch("/api/v1/admin/instances/jira", json={"config": {**instance_config, "page_size": 10}})
    # Half the calls refused, with waits longer than one call holds on: polls fail part-way
    # through, and each resumes from its last checkpoint.
    server.fake.fail_ratio(0.5, statuses=(429, 503), retry_after=30, seed=3)

    outcomes = [run_poll(runtime, instance)["status"] for _ in range(12)]
    server.fake.clear_faults()
    final = run_poll(runtime, instance)

    assert "failed" in outcomes and final["status"] == "ok"
    assert sorted(i["title"] for i in incidents(api)) == sorted(f"Complaint {n}" for n in range(25))


def test_half_the_calls_failing_both_ways_loses_and_repeats_nothing(api: Any, app: Any, runtime: Any,
                                                                     jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    fake = server.fake
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, create_remote=True, page_size=3, timeout_seconds=k, index_settle_seconds=1 * k)
    for n in range(4):
        new_issue(server, f"Remote {n}")
    fake.timeout_delay = 1.5 * k  # longer than the connector waits: the client gives up, the write stands
    fake.fail_ratio(0.5, statuses=(429, 500, 503), timeout=True, drop=True, retry_after=1, seed=5)
    refs = []
    for n in range(4):
        response = api.post("/api/v1/incidents", json={"title": f"Hub {n}", "description": "flaky remote"})
        assert response.status_code == 201, response.json
        ref = response.json["ref"]
        refs.append(ref)
        api.post(f"/api/v1/incidents/{ref}/comments", json={"body": f"Public {n}", "visibility": "public"})
        api.post(f"/api/v1/incidents/{ref}/comments", json={"body": f"Internal {n}", "visibility": "internal"})

    deadline = time.monotonic() + scaled(150)
    while True:
        run_poll(runtime, instance)
        drain(app, until=lambda: nothing_pending(runtime), timeout=90)
        if len(incidents(api)) == 8 and len(fake.issues()) >= 8:
            break
        assert time.monotonic() < deadline, "the sync did not settle while half the calls failed"
    fake.clear_faults()
    run_poll(runtime, instance)
    drain(app, timeout=60)

    issues = fake.issues()
    assert sorted(i["summary"] for i in issues) == sorted([f"Remote {n}" for n in range(4)] +
                                                         [f"Hub {n}" for n in range(4)])
    assert sorted(label for i in issues for label in i["labels"]) == sorted(f"itsm-hub-{ref}" for ref in refs)
    for issue in issues:
        n = issue["summary"].split()[-1]
        expected = [(f"Public {n}", False, "hub@example.com"), (f"Internal {n}", True, "hub@example.com")]
        assert remote_comments(server, issue["key"]) == (expected if issue["labels"] else [])
    assert sorted(i["title"] for i in incidents(api)) == sorted(i["summary"] for i in issues)
    for ref in refs:
        assert len(comments(api, ref)) == 2


def test_the_reporter_is_the_requester_known_as_one_customer(api: Any, runtime: Any,
                                                             jira: tuple[Server, int]) -> None:
    """Issue 24: the requester of a synced ticket is a customer, by address where Jira shows
    it and by account id where it hides it."""
    server, instance = jira
    server.fake.add_account("ana@example.com", "token-ana-0123456789", display_name="Ana Ruiz")
    new_issue(server, "Cabin 4 is cold", reporter="ana@example.com")
    new_issue(server, "No hot water", reporter="hidden-profile-account")  # no shared address
    assert run_poll(runtime, instance)["status"] == "ok"
    by_title = {item["title"]: api.get(f"/api/v1/incidents/{item['ref']}").json for item in incidents(api)}
    assert by_title["Cabin 4 is cold"]["requester"]["email"] == "ana@example.com"
    assert by_title["Cabin 4 is cold"]["requester"]["name"] == "Ana Ruiz"
    items = api.get("/api/v1/customers").json["items"]
    identities = {(i["kind"], i["value"]): c["display_name"] for c in items for i in c["identities"]}
    assert identities == {("email", "ana@example.com"): "Ana Ruiz",
                          ("account", "jira:hidden-profile-account"): "hidden-profile-account"}
