"""Tickets made on either side, against a real RT 5: each appears on the other side once.

An RT ticket (with a requester's reply and an agent's comment) becomes one hub incident
within one poll, and polls after it change nothing; a hub incident becomes one RT ticket,
tagged with its reference, and the poll that reads it back makes no second incident.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import audit, comments, incidents, only_incident
from tests.connectors.rt_real.conftest import add_instance
from tests.connectors.rt_real.remote import RTAgent
from tests.support.jobs import drain
from tests.support.rt_server import RealRT

pytestmark = pytest.mark.rt


def test_an_rt_ticket_becomes_one_incident_within_one_poll(api: Any, runtime: Any, agent: RTAgent, queue: str,
                                                           instance: int) -> None:
    made = agent.create_ticket(queue, "Printer on floor 2 jams", requestor=["alice@example.com"], priority=100,
                               content="Every second page")
    agent.comment(made, "Checked the rollers")

    result = run_poll(runtime, instance)

    assert result["status"] == "ok", result
    ticket = only_incident(api)
    assert (ticket["title"], ticket["description"], ticket["urgency"], ticket["status"]) == (
        "Printer on floor 2 jams", "Every second page", "high", "new")
    assert ticket["requester"]["email"] == "alice@example.com"
    assert ticket["custom_fields"]["rt_ticket"] == str(made)
    assert comments(api, ticket["ref"]) == [("Checked the rollers", "internal")]
    before = audit(api, ticket["ref"])
    again = run_poll(runtime, instance)  # the overlap window reads it again: recognised
    assert again["status"] == "ok" and again["created"] == 0, again
    assert len(incidents(api)) == 1 and audit(api, ticket["ref"]) == before


def test_a_hub_incident_becomes_one_rt_ticket(api: Any, app: Any, runtime: Any, agent: RTAgent, queue: str,
                                              real_rt: RealRT) -> None:
    instance = add_instance(api, real_rt, queue, create_remote=True)
    ref = api.post("/api/v1/incidents", json={"title": "Gate barrier stuck", "description": "Exit side",
                                              "urgency": "high"}).json["ref"]

    drain(app)
    before = audit(api, ref)
    assert run_poll(runtime, instance)["status"] == "ok"
    drain(app)

    (made,) = agent.tickets(queue)
    assert (made["Subject"], made["Priority"], made["Status"]) == (f"Gate barrier stuck [hub {ref}]", "100", "new")
    (create,) = [row for row in agent.history(int(made["id"])) if row["Type"] == "Create"]
    assert (create["Creator"], agent.text(create["id"])) == (real_rt.hub_user, "Exit side")
    assert [i["ref"] for i in incidents(api)] == [ref]
    assert only_incident(api)["custom_fields"].get("rt_ticket") in (None, str(made["id"]))
    assert audit(api, ref) == before  # the hub's own ticket read back is an echo
