"""Two-way sync with Request Tracker 5, against the REST2 double over real HTTP.

Each test is one line of the issue's "done when": a remote ticket appears within one poll
with its replies and comments; a hub change arrives once and is not echoed; replies and
comments go both ways with their visibility; a conflict resolves by policy and shows in
the audit; a 412 is read again and retried; a refusal inside a 200 is not a success; a
lost answer to a create makes no duplicate; 5xx and 429s lose and repeat nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import ConnectorInstance, ExternalLink, OutboxMessage
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace

Server = FakeServer[RTFake]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("rt", "connectors.rt")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def add_instance(api: Any, server: Server, **config: Any) -> int:
    body = {"connector": "rt", "slug": "rt", "enabled": True, "poll_interval": 3600,
            "config": {"url": server.url, "token": "rt-token", "rt_user": "hub", **config}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 201, response.json
    with api.client.application.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(ConnectorInstance.id).where(ConnectorInstance.slug == "rt")))


@pytest.fixture
def rt(api: Any, rt_server: Server) -> tuple[Server, int]:  # noqa: F811
    return rt_server, add_instance(api, rt_server)


def incidents(api: Any) -> list[dict[str, Any]]:
    return api.get("/api/v1/incidents?limit=100").json["items"]


def only_incident(api: Any) -> dict[str, Any]:
    (item,) = incidents(api)
    return api.get(f"/api/v1/incidents/{item['ref']}").json


def comments(api: Any, ref: str) -> list[tuple[str, str]]:
    return [(c["body"], c["visibility"]) for c in api.get(f"/api/v1/incidents/{ref}/comments").json]


def audit(api: Any, ref: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/incidents/{ref}/audit?limit=500").json


def messages(fake: RTFake, ticket_id: int) -> list[tuple[str, str, str]]:
    """A ticket's replies and comments in RT: (type, creator, text)."""
    found = []
    for txn in fake.transactions(ticket_id):
        if txn.type in ("Correspond", "Comment"):
            (part,) = fake.attachments(txn.id)
            found.append((txn.type, txn.creator, part.content.decode()))
    return found


def test_a_ticket_made_in_rt_appears_within_one_poll(api: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Printer on floor 2 jams", requestor=["alice@example.com"],
                                     priority=100, content="Every second page")
    server.fake.correspond(made["id"], "It happens since Monday", user="alice@example.com")
    server.fake.comment(made["id"], "Checked the rollers", user="root")

    result = run_poll(runtime, instance)

    assert result["status"] == "ok", result
    ticket = only_incident(api)
    # Alice's reply opened the ticket (RT's "On Correspond Open Inactive Tickets"): open is in progress.
    assert (ticket["title"], ticket["description"], ticket["urgency"], ticket["status"]) == (
        "Printer on floor 2 jams", "Every second page", "high", "in_progress")
    assert ticket["requester"]["email"] == "alice@example.com"
    assert comments(api, ticket["ref"]) == [("It happens since Monday", "public"), ("Checked the rollers", "internal")]
    again = run_poll(runtime, instance)  # the overlap window reads it again: recognised, not repeated
    assert again["created"] == 0 and again["fetched"] == 0 and len(incidents(api)) == 1
    assert len(comments(api, ticket["ref"])) == 2


def test_two_changes_within_one_second_are_two_versions(api: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    server.fake.clock.freeze()  # every change below lands in the same second of LastUpdated
    made = server.fake.create_ticket("General", "Badge reader dead", requestor=["bob@example.com"])
    run_poll(runtime, instance)
    server.fake.update_ticket(made["id"], Subject="Badge reader at gate 4 dead", user="root")
    server.fake.correspond(made["id"], "Gate 4, not gate 3", user="bob@example.com")

    run_poll(runtime, instance)

    ticket = only_incident(api)
    assert ticket["title"] == "Badge reader at gate 4 dead"
    assert comments(api, ticket["ref"]) == [("Gate 4, not gate 3", "public")]


def test_searches_speak_the_rt_users_time_zone(api: Any, runtime: Any, rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    server.fake.user_timezone = "America/New_York"  # RT reads the dates in a search in it
    instance = add_instance(api, server, timezone="America/New_York")
    made = server.fake.create_ticket("General", "Conveyor belt slips")
    run_poll(runtime, instance)
    server.fake.clock.advance(minutes=10)
    server.fake.update_ticket(made["id"], Subject="Conveyor belt 3 slips", user="root")

    run_poll(runtime, instance)

    assert only_incident(api)["title"] == "Conveyor belt 3 slips"
    (query,) = {r.query["query"][0] for r in server.fake.received("GET", r"/tickets$")} - {"Queue = 'General'"}
    since = server.fake.ticket(made["id"])["Created"].astimezone(ZoneInfo("America/New_York")) + timedelta(
        seconds=-120)
    assert query == f"Queue = 'General' AND LastUpdated > '{since:%Y-%m-%d %H:%M:%S}'"


def test_a_ticket_changed_during_a_paged_walk_pushes_none_out_of_sight(api: Any, runtime: Any,
                                                                       rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server, page_size=3)
    first = server.fake.create_ticket("General", "Ticket 0")
    for n in range(1, 12):
        server.fake.clock.advance(5)
        server.fake.create_ticket("General", f"Ticket {n}")
    # Ticket 0 changes once the first page is served: it moves to the end of the order, and
    # a walk by page numbers would now skip the ticket that slid onto page one.
    after_first(server, "GET", r"/tickets$", lambda: server.fake.update_ticket(first["id"], Subject="Ticket 0 again"))

    result = run_poll(runtime, instance)

    assert result["status"] == "ok", result
    assert sorted(i["title"] for i in incidents(api)) == sorted(["Ticket 0 again", *(f"Ticket {n}" for n in
                                                                                       range(1, 12))])


def test_a_page_all_in_one_second_is_walked_by_page_number(api: Any, runtime: Any,
                                                            rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server, page_size=3)
    server.fake.clock.freeze()
    for n in range(8):
        server.fake.create_ticket("General", f"Alarm {n}")

    run_poll(runtime, instance)

    assert sorted(i["title"] for i in incidents(api)) == [f"Alarm {n}" for n in range(8)]
    assert any("page" in r.query for r in server.fake.received("GET", r"/tickets$"))


def test_a_priority_between_levels_reads_as_the_nearest(api: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    server.fake.create_ticket("General", "Coffee machine leaks", priority=42)

    run_poll(runtime, instance)

    assert only_incident(api)["urgency"] == "medium"


def test_a_hub_change_arrives_once_and_is_not_echoed(api: Any, app: Any, runtime: Any,
                                                     rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Door sensor dead", requestor=["carol@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    assert api.patch(f"/api/v1/incidents/{ref}", json={"title": "Door sensor B2 dead", "urgency": "high"}
                     ).status_code == 200
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"}).status_code == 200
    drain(app)

    remote = server.fake.ticket(made["id"])
    assert (remote["Subject"], remote["Priority"], remote["Status"]) == ("Door sensor B2 dead", 100, "open")
    audit_before = audit(api, ref)
    run_poll(runtime, instance)
    drain(app)
    puts = server.fake.received("PUT")
    assert len(puts) == 1 and puts[0].json == {"Subject": "Door sensor B2 dead", "Priority": 100, "Status": "open"}
    assert "If-Match" in puts[0].headers
    assert audit(api, ref) == audit_before  # nothing came back in
    assert len(server.fake.received("PUT")) == 1  # nor went out again


def test_replies_and_comments_go_both_ways_with_their_visibility(api: Any, app: Any, runtime: Any,
                                                                 rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Leaking tap, room 12", requestor=["dave@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A plumber comes at 3", "visibility": "public"})
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Spare parts on order", "visibility": "internal"})
    drain(app)
    server.fake.correspond(made["id"], "Thanks, I will be there", user="dave@example.com")
    server.fake.comment(made["id"], "Plumber confirmed", user="root")
    run_poll(runtime, instance)
    drain(app)

    assert messages(server.fake, made["id"]) == [
        ("Correspond", "hub", "A plumber comes at 3"), ("Comment", "hub", "Spare parts on order"),
        ("Correspond", "dave@example.com", "Thanks, I will be there"), ("Comment", "root", "Plumber confirmed")]
    assert comments(api, ref) == [("A plumber comes at 3", "public"), ("Spare parts on order", "internal"),
                                  ("Thanks, I will be there", "public"), ("Plumber confirmed", "internal")]


def test_a_reply_whose_answer_was_lost_is_posted_once(api: Any, app: Any, runtime: Any,
                                                      rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, timeout_seconds=k)
    made = server.fake.create_ticket("General", "Heating off in hall B", requestor=["erin@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/correspond$", method="POST")

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "An engineer is on the way", "visibility": "public"})
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert messages(server.fake, made["id"]) == [("Correspond", "hub", "An engineer is on the way")]
    assert len(server.fake.received("POST", r"/correspond$")) == 1


def test_a_conflict_resolves_by_newest_change_and_is_audited(api: Any, app: Any, runtime: Any,
                                                             rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Boiler pressure low")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    # The hub edits first; RT's user edits the same field a minute later, before the push.
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Boiler pressure low (hub)"})
    server.fake.clock.advance(minutes=1)
    server.fake.update_ticket(made["id"], Subject="Boiler pressure low (RT)", user="root")

    drain(app)  # the push sees RT's change and leaves the field to the policy
    assert server.fake.ticket(made["id"])["Subject"] == "Boiler pressure low (RT)"
    run_poll(runtime, instance)

    assert only_incident(api)["title"] == "Boiler pressure low (RT)"
    conflicts = [a for a in audit(api, ref) if a["action"] == "sync_conflict"]
    assert len(conflicts) == 1 and "newest change wins" in conflicts[0]["note"]


def test_a_field_the_hub_owns_wins_and_rt_is_corrected(api: Any, app: Any, runtime: Any,
                                                       rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    rules = [{"field": "title", "remote": "Subject", "owner": "hub"},
             {"field": "status", "remote": "Status", "values_in": {"new": "new", "open": "in_progress"}}]
    instance = add_instance(api, server, field_map=rules)
    made = server.fake.create_ticket("General", "Lift stuck")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.update_ticket(made["id"], Subject="Lift stuck (RT)", user="root")
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Lift 3 stuck"})  # queued, not yet pushed

    run_poll(runtime, instance)
    drain(app)

    assert only_incident(api)["title"] == "Lift 3 stuck"
    assert server.fake.ticket(made["id"])["Subject"] == "Lift 3 stuck"
    notes = [a["note"] for a in audit(api, ref) if a["action"] == "sync_conflict"]
    assert notes and "hub side owns it" in notes[0]


def after_first(server: Server, method: str, path: str, action: Callable[[], Any]) -> None:
    """Run ``action`` once, right after the double has answered the next ``method`` request
    whose path matches the ``path`` regex: a remote user acting between two of the hub's calls."""
    wsgi_server = server._server
    assert wsgi_server is not None
    inner = wsgi_server.app
    done: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        answer = inner(environ, start_response)
        if not done and environ["REQUEST_METHOD"] == method and re.search(path, environ["PATH_INFO"]):
            done.append(True)
            action()
        return answer

    wsgi_server.app = app


def test_a_412_is_read_again_and_what_rt_changed_meanwhile_is_kept(api: Any, app: Any, runtime: Any,
                                                                   rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Projector flickers")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Projector in room 5 flickers"})
    # RT's user saves between the hub's read and its write.
    after_first(server, "GET", r"/ticket/\d+$", lambda: server.fake.update_ticket(made["id"], Priority=100,
                                                                                 user="root"))

    drain(app)

    assert [r.status for r in server.fake.received("PUT")] == [412, 200]
    remote = server.fake.ticket(made["id"])
    assert (remote["Subject"], remote["Priority"]) == ("Projector in room 5 flickers", 100)
    run_poll(runtime, instance)
    ticket = only_incident(api)
    assert (ticket["title"], ticket["urgency"]) == ("Projector in room 5 flickers", "high")
    assert not [a for a in audit(api, ref) if a["action"] == "sync_conflict"]


def test_412s_that_go_on_are_retried_later(api: Any, app: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Scanner offline")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.fail_next(3, status=412, retry_after=None, paths=r"/ticket/\d+$", method="PUT")

    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Scanner 2 offline"})
    drain(app, until=lambda: nothing_pending(runtime))

    assert [r.status for r in server.fake.received("PUT")] == [412, 412, 412, 200]
    assert server.fake.ticket(made["id"])["Subject"] == "Scanner 2 offline"
    with runtime.db.reading() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.action == "update"))
        assert (message.status, message.attempts) == ("delivered", 2)  # one retry, by the outbox


def test_a_refusal_inside_a_200_is_not_taken_as_success(api: Any, app: Any, runtime: Any,
                                                        rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    # A mistaken rule: RT has no "pending" status, and says so inside a 200.
    rules = [{"field": "title", "remote": "Subject"},
             {"field": "status", "remote": "Status", "values_in": {"new": "new", "open": "in_progress"},
              "values_out": {"new": "new", "in_progress": "open", "on_hold": "pending"}}]
    instance = add_instance(api, server, field_map=rules)
    made = server.fake.create_ticket("General", "Forklift battery")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "on_hold"})
    drain(app, until=lambda: nothing_pending(runtime))

    (put,) = server.fake.received("PUT")
    assert (put.status, put.json) == (200, {"Status": "pending"})
    with runtime.db.reading() as session:
        (dead,) = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead"))
        link = session.scalars(select(ExternalLink)).one()
        assert dead.action == "transition" and "isn't a valid status" in (dead.last_error or "")
        assert link.sync_state == "error" and "refused Status" in (link.last_error or "")
        assert link.data["synced"]["Status"] == "new"  # not recorded as agreed

    # A change RT takes, sent with the refused one: it lands, the delivery still fails,
    # and the next poll finds both sides agreeing on it.
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Forklift 7 battery"})
    drain(app, until=lambda: nothing_pending(runtime))
    assert server.fake.received("PUT")[-1].json == {"Subject": "Forklift 7 battery", "Status": "pending"}
    assert (server.fake.ticket(made["id"])["Subject"], server.fake.ticket(made["id"])["Status"]) == (
        "Forklift 7 battery", "new")
    run_poll(runtime, instance)
    assert only_incident(api)["title"] == "Forklift 7 battery"
    assert not [a for a in audit(api, ref) if a["action"] == "sync_conflict"]
    with runtime.db.reading() as session:
        assert session.scalars(select(ExternalLink)).one().data["synced"]["Subject"] == "Forklift 7 battery"


def test_a_lost_create_answer_makes_no_duplicate(api: Any, app: Any, runtime: Any,
                                                 rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, create_remote=True, timeout_seconds=k)
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/ticket$", method="POST")
    # The create is made in RT but its answer never comes (a worker killed mid-call looks the same).
    response = api.post("/api/v1/incidents", json={"title": "Fridge in canteen warm", "description": "Since noon"})
    assert response.status_code == 201, response.json
    ref = response.json["ref"]

    drain(app, timeout=30)
    run_poll(runtime, instance)
    drain(app)

    (made,) = server.fake.tickets()
    assert made["Subject"] == f"Fridge in canteen warm [hub {ref}]"
    assert len(server.fake.received("POST", r"/ticket$")) == 1
    assert [i["ref"] for i in incidents(api)] == [ref]
    assert only_incident(api)["title"] == "Fridge in canteen warm"  # the tag is RT's, not the title's
    with runtime.db.reading() as session:
        assert list(session.scalars(select(ExternalLink.external_id))) == [str(made["id"])]


def test_a_hub_ticket_made_in_rt_keeps_its_tag_through_title_changes(api: Any, app: Any, runtime: Any,
                                                                     rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server, create_remote=True)
    ref = api.post("/api/v1/incidents", json={"title": "Gate barrier stuck", "description": "Exit side",
                                              "urgency": "high"}).json["ref"]
    drain(app)
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "on_hold"})
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Gate barrier stuck open"})
    drain(app)

    (made,) = server.fake.tickets()
    assert (made["Subject"], made["Priority"], made["Status"]) == (
        f"Gate barrier stuck open [hub {ref}]", 100, "stalled")
    assert [a.content.decode() for t in server.fake.transactions(made["id"]) if t.type == "Create"
            for a in server.fake.attachments(t.id)] == ["Exit side"]
    before = audit(api, ref)
    assert run_poll(runtime, instance)["status"] == "ok"
    assert audit(api, ref) == before  # the hub's own writes read back as echoes


def test_5xx_and_429_for_half_the_calls_lose_and_repeat_nothing(api: Any, app: Any, runtime: Any,
                                                                rt: tuple[Server, int]) -> None:
    server, instance = rt
    for n in range(25):
        made = server.fake.create_ticket("General", f"Complaint {n}", requestor=[f"c{n}@example.com"])
        server.fake.correspond(made["id"], f"Details of complaint {n}", user=f"c{n}@example.com")
    config = api.get("/api/v1/admin/instances/rt").json["config"]
    api.patch("/api/v1/admin/instances/rt", json={"config": {**config, "page_size": 10}})
    # Half the calls refused, with waits longer than one call holds on: polls fail part-way
    # through, and each resumes from its last checkpoint.
    server.fake.fail_ratio(0.5, statuses=(429, 503), retry_after=30, seed=3)

    outcomes = [run_poll(runtime, instance)["status"] for _ in range(12)]
    server.fake.clear_faults()
    final = run_poll(runtime, instance)

    assert "failed" in outcomes and final["status"] == "ok"
    items = incidents(api)
    assert sorted(i["title"] for i in items) == sorted(f"Complaint {n}" for n in range(25))
    for item in items:
        n = item["title"].split()[-1]
        assert comments(api, item["ref"]) == [(f"Details of complaint {n}", "public")]

    # And the way out: half the replies' posts fail with a 5xx, each is retried, none doubled.
    server.fake.fail_ratio(0.5, statuses=(500, 503), retry_after=None, paths=r"/(correspond|comment)$", seed=1)
    for item in items[:6]:
        api.post(f"/api/v1/incidents/{item['ref']}/comments", json={"body": f"Answer to {item['title']}",
                                                                    "visibility": "public"})
    drain(app, until=lambda: nothing_pending(runtime), timeout=60)
    server.fake.clear_faults()

    posts = server.fake.received("POST", r"/correspond$")
    assert {p.status for p in posts} >= {201, 500} or {p.status for p in posts} >= {201, 503}
    for ticket in server.fake.tickets():
        ours = [text for kind, who, text in messages(server.fake, ticket["id"]) if who == "hub"]
        assert ours == ([f"Answer to {ticket['Subject']}"] if ticket["Subject"] in
                        {i["title"] for i in items[:6]} else [])


def test_the_requester_of_an_rt_ticket_is_a_customer(api: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    """By address when RT knows one (the same customer as their mails), else as rt:<user>."""
    server, instance = rt
    api.post("/api/v1/incidents", json={"title": "Mailed first", "requester": {"email": "alice@example.com"}})
    server.fake.create_ticket("General", "Printer jams", requestor=["alice@example.com"])
    server.fake.create_ticket("General", "Scanner jams", requestor=["bob"])
    assert run_poll(runtime, instance)["status"] == "ok"
    alice = api.get("/api/v1/customers?q=alice@example.com").json["items"]
    assert len(alice) == 1 and api.get(f"/api/v1/customers/{alice[0]['id']}").json["ticket_count"] == 2
    bob = api.get("/api/v1/customers?q=bob").json["items"]
    assert [identity["value"] for identity in bob[0]["identities"]] == ["rt:bob"]
