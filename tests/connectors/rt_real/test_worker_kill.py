"""kill -9 of a hub worker in the middle of delivering to a real RT 5, then a restart.

30 hub changes on 12 RT-linked tickets (a public reply on each, internal comments on
nine, a new title on nine others), delivered by a real ``hub worker`` process killed
right after RT has answered one of its writes (``crash.deliver_through_a_crash``). RT
takes no idempotency key, so whatever the moment of the kill, RT's ticket histories must
then hold exactly one transaction per hub change, and RT must have mailed each reply to
its requester once. Three runs, each killing at a different write. A create and a file
must land once too, when the kill follows RT's answer to them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import incidents
from tests.connectors.rt_real.conftest import add_instance
from tests.connectors.rt_real.crash import KillAfter, deliver_through_a_crash
from tests.connectors.rt_real.crash import app_config as app_config  # real Redis, shared with the worker
from tests.connectors.rt_real.proxy import RTProxy
from tests.connectors.rt_real.remote import RTAgent
from tests.support.attachments import PHOTO, upload
from tests.support.rt_server import RealRT

pytestmark = [pytest.mark.rt, pytest.mark.slow]

TICKETS = 12


def hub_changes(api: Any, refs: list[str]) -> list[tuple[str, str]]:
    """Make the 30 changes; returns what each must be in RT: (transaction type, text or title)."""
    expected = []
    for n, ref in enumerate(refs):
        body = f"Reply {n} to {ref}"
        assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": body, "visibility": "public"}
                        ).status_code == 201
        expected.append(("Correspond", body))
    for n, ref in enumerate(refs[:9]):
        body = f"Note {n} on {ref}"
        assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": body, "visibility": "internal"}
                        ).status_code == 201
        expected.append(("Comment", body))
    for n, ref in enumerate(refs[3:]):
        title = f"Renamed {n}"
        assert api.patch(f"/api/v1/incidents/{ref}", json={"title": title}).status_code == 200
        expected.append(("Set", title))
    return expected


def what_rt_holds(agent: RTAgent, tickets: list[int], hub_user: str, after: int) -> list[tuple[str, str]]:
    """The hub user's transactions since ``after``, read from each ticket's history."""
    found = []
    for ticket_id in tickets:
        for row in agent.history(ticket_id):
            if row["Creator"] != hub_user or int(row["id"]) <= after:
                continue
            text = agent.text(row["id"]) if row["Type"] in ("Correspond", "Comment") else str(row["NewValue"])
            found.append((str(row["Type"]), text))
    return found


@pytest.mark.parametrize("kill_at", [3, 10, 17], ids=["run1-kill-after-write-3", "run2-kill-after-write-10",
                                                      "run3-kill-after-write-17"])
def test_kill_9_mid_delivery_posts_each_change_to_rt_exactly_once(
        api: Any, runtime: Any, app_config: dict[str, Any], agent: RTAgent, queue: str, real_rt: RealRT,
        tmp_path: Any, kill_at: int) -> None:
    with RTProxy(real_rt.url).running() as proxy:
        instance = add_instance(api, real_rt, queue, url=proxy.url)
        tickets = [agent.create_ticket(queue, f"Complaint {n}", requestor=[f"req{n}@example.com"])
                   for n in range(TICKETS)]
        for ticket_id in tickets:
            agent.update(ticket_id, Status="open")  # RT's auto-open on a reply is issue 17's other defect
        assert run_poll(runtime, instance)["status"] == "ok"
        by_title = {item["title"]: item["ref"] for item in incidents(api)}
        refs = [by_title[f"Complaint {n}"] for n in range(TICKETS)]
        baseline, mails_before = agent.last_transaction(), len(real_rt.mails())
        expected = hub_changes(api, refs)
        assert len(expected) == 30

        deliver_through_a_crash(runtime, app_config, proxy, KillAfter(kill_at), tmp_path / "worker.log")

    held = what_rt_holds(agent, tickets, real_rt.hub_user, baseline)
    twice = {change: count for change, count in Counter(held).items() if count > 1}
    assert not twice, f"killed after write {kill_at} of 30; RT holds these more than once: {twice}"
    assert sorted(held) == sorted(expected), f"killed after write {kill_at} of 30"
    mails = real_rt.mails()[mails_before:]
    for kind, text in expected:
        if kind == "Correspond":
            assert sum(text in mail for mail in mails) == 1, f"RT mailed {text!r} to its requester not exactly once"
    statuses = Counter(m["status"] for m in api.get("/api/v1/admin/outbox?limit=500").json)
    assert statuses == Counter(delivered=30), statuses


def test_kill_9_after_rt_took_a_create_makes_one_ticket(api: Any, runtime: Any,
                                                        app_config: dict[str, Any], agent: RTAgent, queue: str,
                                                        real_rt: RealRT, tmp_path: Any) -> None:
    with RTProxy(real_rt.url).running() as proxy:
        instance = add_instance(api, real_rt, queue, url=proxy.url, create_remote=True)
        ref = api.post("/api/v1/incidents", json={"title": "Fridge in canteen warm"}).json["ref"]

        creates = KillAfter(1, counts=lambda method, path: method == "POST" and path.endswith("/ticket"))
        deliver_through_a_crash(runtime, app_config, proxy, creates, tmp_path / "worker.log")
        assert run_poll(runtime, instance)["status"] == "ok"

    assert [ticket["Subject"] for ticket in agent.tickets(queue)] == [f"Fridge in canteen warm [hub {ref}]"]
    assert [item["ref"] for item in incidents(api)] == [ref]


def test_kill_9_after_rt_took_a_file_attaches_it_once(api: Any, runtime: Any, app_config: dict[str, Any],
                                                      agent: RTAgent, queue: str, real_rt: RealRT,
                                                      tmp_path: Any) -> None:
    with RTProxy(real_rt.url).running() as proxy:
        instance = add_instance(api, real_rt, queue, url=proxy.url)
        made = agent.create_ticket(queue, "Cracked screen", requestor=["alice@example.com"])
        agent.update(made, Status="open")
        run_poll(runtime, instance)
        (ref,) = [item["ref"] for item in incidents(api)]
        upload(api, ref, "invoice.png", PHOTO, visibility="public")

        deliver_through_a_crash(runtime, app_config, proxy, KillAfter(1), tmp_path / "worker.log")

    ours = [(kind, name) for kind, who, name, _ in agent.files(made) if who == real_rt.hub_user]
    assert ours == [("Correspond", "invoice.png")]
