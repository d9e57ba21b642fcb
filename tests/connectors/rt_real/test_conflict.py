"""A field changed on both sides before they met, against a real RT 5: settled by the field's policy.

The default policy is "newest change wins", and RT's LastUpdated is the time of its side;
a rule with ``owner: hub`` makes the hub's value win and corrects RT. Either way the
conflict is one ``sync_conflict`` audit entry.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import audit, only_incident
from tests.connectors.rt_real.conftest import add_instance
from tests.connectors.rt_real.remote import RTAgent
from tests.support.jobs import drain, nothing_pending
from tests.support.rt_server import RealRT

pytestmark = pytest.mark.rt


def into_the_next_second() -> None:
    """RT keeps times to the second: a change meant to be newer than the last one must
    land in a later second, or the two are a tie."""
    time.sleep(1.05 - time.time() % 1)


def conflicts(api: Any, ref: str) -> list[str]:
    return [entry["note"] for entry in audit(api, ref) if entry["action"] == "sync_conflict"]


def test_the_newest_change_wins_and_is_audited(api: Any, app: Any, runtime: Any, agent: RTAgent, queue: str,
                                               instance: int) -> None:
    made = agent.create_ticket(queue, "Boiler pressure low")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    # The hub edits first; an RT agent edits the same field later, before the push.
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Boiler pressure low (hub)"})
    into_the_next_second()
    agent.update(made, Subject="Boiler pressure low (RT)")

    drain(app, until=lambda: nothing_pending(runtime))  # the push sees RT's change and leaves the field
    assert agent.ticket(made)["Subject"] == "Boiler pressure low (RT)"
    run_poll(runtime, instance)
    drain(app, until=lambda: nothing_pending(runtime))

    assert only_incident(api)["title"] == "Boiler pressure low (RT)"
    assert agent.ticket(made)["Subject"] == "Boiler pressure low (RT)"
    (note,) = conflicts(api, ref)
    assert "newest change wins" in note


def test_a_field_the_hub_owns_wins_and_rt_is_corrected(api: Any, app: Any, runtime: Any, agent: RTAgent,
                                                       queue: str, real_rt: RealRT) -> None:
    rules = [{"field": "title", "remote": "Subject", "owner": "hub"},
             {"field": "status", "remote": "Status", "values_in": {"new": "new", "open": "in_progress"}}]
    instance = add_instance(api, real_rt, queue, field_map=rules)
    made = agent.create_ticket(queue, "Lift stuck")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    agent.update(made, Subject="Lift stuck (RT)")
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Lift 3 stuck"})  # queued, not yet pushed

    run_poll(runtime, instance)
    drain(app, until=lambda: nothing_pending(runtime))

    assert only_incident(api)["title"] == "Lift 3 stuck"
    assert agent.ticket(made)["Subject"] == "Lift 3 stuck"
    notes = conflicts(api, ref)
    assert len(notes) == 1 and "hub side owns it" in notes[0]
