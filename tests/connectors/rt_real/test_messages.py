"""Replies and comments both ways against a real RT 5, each as visible as it was written.

A hub public comment is an RT reply (Correspond, mailed to the requester by RT's scrips),
an internal one an RT comment (not mailed); an RT reply is a public hub comment, an RT
comment an internal one; and nothing the hub wrote comes back to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import comments, only_incident
from tests.connectors.rt_real.remote import RTAgent
from tests.support.jobs import drain, nothing_pending
from tests.support.rt_server import RealRT

pytestmark = pytest.mark.rt


def mailed_to(real_rt: RealRT, address: str, text: str) -> int:
    """How many of RT's mails to ``address`` carry ``text``."""
    return sum(1 for mail in real_rt.mails() if f"To: {address}" in mail and text in mail)


def test_replies_and_comments_go_both_ways_with_their_visibility(api: Any, app: Any, runtime: Any, agent: RTAgent,
                                                                 queue: str, instance: int,
                                                                 real_rt: RealRT) -> None:
    made = agent.create_ticket(queue, "Leaking tap, room 12", requestor=["dave@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A plumber comes at 3", "visibility": "public"})
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Spare parts on order", "visibility": "internal"})
    drain(app, until=lambda: nothing_pending(runtime))
    agent.correspond(made, "The plumber is booked")
    agent.comment(made, "Plumber confirmed by phone")
    run_poll(runtime, instance)
    drain(app, until=lambda: nothing_pending(runtime))
    run_poll(runtime, instance)

    hub = real_rt.hub_user
    assert agent.messages(made) == [
        ("Correspond", hub, "A plumber comes at 3"), ("Comment", hub, "Spare parts on order"),
        ("Correspond", "root", "The plumber is booked"), ("Comment", "root", "Plumber confirmed by phone")]
    assert comments(api, ref) == [("A plumber comes at 3", "public"), ("Spare parts on order", "internal"),
                                  ("The plumber is booked", "public"), ("Plumber confirmed by phone", "internal")]
    # RT mailed the requester the public reply, once, and never the internal note.
    assert mailed_to(real_rt, "dave@example.com", "A plumber comes at 3") == 1
    assert mailed_to(real_rt, "dave@example.com", "Spare parts on order") == 0


def test_a_reply_after_a_hundred_transactions_still_arrives(api: Any, app: Any, runtime: Any, agent: RTAgent,
                                                            queue: str, instance: int) -> None:
    """REST2 answers a history with ``"total": null, "pages": null`` and no ``next_page``
    to anyone but a superuser (Collection.pm: CurrentUserCanSeeAll), as the hub's RT user
    is not: a long history must still be read to its end."""
    made = agent.create_ticket(queue, "Conveyor belt 3 slips", requestor=["frank@example.com"])
    for n in range(1, 16):  # seven field changes a call: 105 transactions
        agent.update(made, Priority=n, InitialPriority=n, FinalPriority=n, TimeEstimated=n, TimeWorked=n,
                     TimeLeft=n, Subject=f"Conveyor belt 3 slips ({n})")
    assert len(agent.history(made)) > 100
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    agent.correspond(made, "It slips again since the update")
    run_poll(runtime, instance)

    assert comments(api, ref) == [("It slips again since the update", "public")]
