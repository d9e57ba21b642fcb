"""Status both ways against a real RT 5, with RT's default scrips on.

The hub's transitions reach RT and RT's reach the hub. And the case issue 17 names: an
agent answers a ticket RT still has as ``new`` and resolves it (or puts it on hold) in one
go. RT opens a ``new`` ticket when someone other than a requestor replies ("On Correspond
Open Inactive Tickets"), so the hub's own reply moves RT's status before the hub's status
change arrives. That move is the hub's doing: both sides must end resolved (stalled), and
stay so after the next poll.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import audit, only_incident
from tests.connectors.rt_real.remote import RTAgent
from tests.support.jobs import drain, nothing_pending

pytestmark = pytest.mark.rt


def settle(app: Any, runtime: Any, instance: int) -> None:
    """Deliver everything, poll, and deliver what the poll caused: the next round of sync."""
    drain(app, until=lambda: nothing_pending(runtime))
    assert run_poll(runtime, instance)["status"] == "ok"
    drain(app, until=lambda: nothing_pending(runtime))


def statuses_in_rt(agent: RTAgent, ticket_id: int) -> list[tuple[str, str, str]]:
    """The ticket's status changes in RT: (who, from, to)."""
    return [(row["Creator"], row["OldValue"], row["NewValue"]) for row in agent.history(ticket_id)
            if row["Type"] == "Status"]


def hub_statuses(api: Any, ref: str) -> list[str]:
    """The hub ticket's status changes, oldest first: the new status of each."""
    return [entry["changes"]["status"][1] for entry in audit(api, ref)
            if entry["action"] == "transitioned" and "status" in (entry.get("changes") or {})]


def test_status_goes_both_ways(api: Any, app: Any, runtime: Any, agent: RTAgent, queue: str, instance: int) -> None:
    made = agent.create_ticket(queue, "Badge reader at gate 4", requestor=["bob@example.com"])
    agent.update(made, Status="open")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    assert only_incident(api)["status"] == "in_progress"

    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "on_hold"}).status_code == 200
    settle(app, runtime, instance)
    assert agent.status(made) == "stalled"

    agent.update(made, Status="open")
    run_poll(runtime, instance)
    assert only_incident(api)["status"] == "in_progress"

    agent.update(made, Status="resolved")
    settle(app, runtime, instance)
    assert (only_incident(api)["status"], agent.status(made)) == ("resolved", "resolved")


@pytest.mark.parametrize(("hub_status", "rt_status"), [("resolved", "resolved"), ("on_hold", "stalled")])
def test_reply_and_status_change_on_a_new_rt_ticket_hold(api: Any, app: Any, runtime: Any, agent: RTAgent,
                                                         queue: str, instance: int, hub_status: str,
                                                         rt_status: str) -> None:
    made = agent.create_ticket(queue, "Heating off in hall B", requestor=["erin@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    assert agent.status(made) == "new"

    # One agent action in the hub: the answer, then the status.
    assert api.post(f"/api/v1/incidents/{ref}/comments",
                    json={"body": "The valve is replaced", "visibility": "public"}).status_code == 201
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": hub_status}).status_code == 200
    settle(app, runtime, instance)
    settle(app, runtime, instance)  # and the poll after that: nothing may reopen it

    assert (agent.status(made), only_incident(api)["status"]) == (rt_status, hub_status)
    assert hub_statuses(api, ref) == [hub_status]  # never reopened in the hub
    assert not [entry for entry in audit(api, ref) if entry["action"] == "sync_conflict"]  # our own doing
    changes = statuses_in_rt(agent, made)
    assert changes[-1][2] == rt_status, changes  # RT's auto-open comes first, if at all; ours is last
    assert [change for change in changes if change[0] != "RT_System"] == [("hub", changes[-1][1], rt_status)]
