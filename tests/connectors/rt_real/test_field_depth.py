"""Field depth against a real RT 5 (issue 25 point 3): priority, custom fields for category, CI
and assignment group, and a change's planned window (Starts, Due), both ways, with value
maps and per-field direction; a custom field the queue lacks is a readable delivery error,
and what the hub wrote is never read back as an RT edit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import OutboxMessage
from tests.connectors.rt_real.conftest import add_instance
from tests.connectors.rt_real.remote import RTAgent
from tests.support.jobs import drain, nothing_pending
from tests.support.rt_server import RealRT

pytestmark = pytest.mark.rt

PRIORITY_IN = {"100": "1", "75": "2", "50": "3", "25": "4", "0": "5"}


def rules(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    base: dict[str, dict[str, Any]] = {
        "title": {"field": "title", "remote": "Subject"},
        "priority": {"field": "priority", "remote": "Priority", "values_in": PRIORITY_IN},
        "category": {"field": "category", "remote": "CF.Category"},
        "group": {"field": "group", "remote": "CF.Assignment group", "values_in": {"Network team": "network"}},
        "ci": {"field": "ci", "remote": "CF.CI"},
        "planned_start": {"field": "planned_start", "remote": "Starts", "kind": "change"},
        "planned_end": {"field": "planned_end", "remote": "Due", "kind": "change"},
    }
    for name, rule in overrides.items():
        base[name] = {**base[name], **rule}
    return list(base.values())


@pytest.fixture
def rt_queue(api: Any, real_rt: RealRT, queue: str) -> str:
    for name in ("Category", "CI", "Assignment group"):
        real_rt.add_custom_field(name, queue)
    assert api.post("/api/v1/groups", json={"slug": "network", "name": "Network"}).status_code == 201
    assert api.post("/api/v1/categories", json={"slug": "power", "name": "Power"}).status_code == 201
    for key in ("ups-01", "ups-02"):
        assert api.post("/api/v1/configuration-items", json={"key": key, "name": key}).status_code == 201
    return queue


def change_instance(api: Any, real_rt: RealRT, queue: str, field_map: list[dict[str, Any]]) -> int:
    return add_instance(api, real_rt, queue, kind="change", field_map=field_map)


def only_change(api: Any) -> dict[str, Any]:
    (item,) = api.get("/api/v1/changes?limit=10").json["items"]
    return api.get(f"/api/v1/changes/{item['ref']}").json  # type: ignore[no-any-return]


def audit(api: Any, ref: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/changes/{ref}/audit?limit=500").json  # type: ignore[no-any-return]


def rt_ticket(agent: RTAgent, queue: str, subject: str, **fields: Any) -> int:
    return int(agent.call("POST", "/ticket", json={"Queue": queue, "Subject": subject, **fields}).json()["id"])


def custom(agent: RTAgent, ticket_id: int) -> dict[str, str]:
    return {item["name"]: ", ".join(item.get("values") or []) for item in agent.ticket(ticket_id)["CustomFields"]}


def settle(app: Any, runtime: Any, instance: int) -> None:
    drain(app, until=lambda: nothing_pending(runtime))
    assert run_poll(runtime, instance)["status"] == "ok"
    drain(app, until=lambda: nothing_pending(runtime))


def test_an_rt_ticket_brings_priority_custom_fields_and_window(api: Any, runtime: Any, agent: RTAgent,
                                                               real_rt: RealRT, rt_queue: str) -> None:
    instance = change_instance(api, real_rt, rt_queue, rules())
    rt_ticket(agent, rt_queue, "Replace UPS batteries", Priority=75, Starts="2026-12-10 22:00:00",
              Due="2026-12-11 02:00:00",
              CustomFields={"Category": "power", "CI": "ups-01", "Assignment group": "Network team"})

    assert run_poll(runtime, instance)["status"] == "ok"

    change = only_change(api)
    assert (change["priority"], change["category"], change["ci"], change["group"]) == (2, "power", "ups-01",
                                                                                        "network")
    assert (change["planned_start"][:19], change["planned_end"][:19]) == ("2026-12-10T22:00:00", "2026-12-11T02:00:00")


def test_hub_changes_reach_rt_and_are_not_read_back(api: Any, app: Any, runtime: Any, agent: RTAgent,
                                                    real_rt: RealRT, rt_queue: str) -> None:
    instance = change_instance(api, real_rt, rt_queue, rules())
    made = rt_ticket(agent, rt_queue, "Move the rack")
    assert run_poll(runtime, instance)["status"] == "ok"
    ref = only_change(api)["ref"]

    response = api.patch(f"/api/v1/changes/{ref}", json={
        "priority": 1, "category": "power", "group": "network", "ci": "ups-02",
        "planned_start": "2026-12-12T20:00:00+01:00", "planned_end": "2026-12-12T23:30:00+01:00"})
    assert response.status_code == 200, response.json
    settle(app, runtime, instance)

    ticket = agent.ticket(made)
    assert (ticket["Priority"], ticket["Starts"], ticket["Due"]) == ("100", "2026-12-12T19:00:00Z",
                                                                     "2026-12-12T22:30:00Z")
    assert custom(agent, made) == {"Category": "power", "CI": "ups-02", "Assignment group": "Network team"}
    before, written = audit(api, ref), agent.count_transactions(real_rt.hub_user)

    settle(app, runtime, instance)  # reads back what the hub wrote: no edit in the hub, nothing sent again

    assert audit(api, ref) == before
    assert agent.count_transactions(real_rt.hub_user) == written
    assert only_change(api)["priority"] == 1


def test_each_field_flows_only_its_own_way(api: Any, app: Any, runtime: Any, agent: RTAgent, real_rt: RealRT,
                                           rt_queue: str) -> None:
    instance = change_instance(api, real_rt, rt_queue, rules(ci={"direction": "in"}, planned_end={"direction": "out"},
                                                             category={"direction": "out"}))
    made = rt_ticket(agent, rt_queue, "Swap switch", Due="2026-12-20 10:00:00",
                     CustomFields={"CI": "ups-01", "Category": "network"})
    assert run_poll(runtime, instance)["status"] == "ok"
    change = only_change(api)
    assert (change["ci"], change["planned_end"], change["category"]) == ("ups-01", None, None)

    api.patch(f"/api/v1/changes/{change['ref']}", json={"ci": "ups-02", "category": "power",
                                                          "planned_start": "2026-12-20T06:00:00Z",
                                                          "planned_end": "2026-12-20T12:00:00Z"})
    settle(app, runtime, instance)

    ticket = agent.ticket(made)
    assert ticket["Due"] == "2026-12-20T12:00:00Z"
    assert custom(agent, made)["CI"] == "ups-01"  # in only: the hub's item is not sent
    assert custom(agent, made)["Category"] == "power"
    agent.update(made, Due="2026-12-24 10:00:00")
    settle(app, runtime, instance)
    assert only_change(api)["planned_end"][:19] == "2026-12-20T12:00:00"  # out only: RT's Due is not read


def test_a_custom_field_the_queue_lacks_is_a_readable_delivery_error(api: Any, app: Any, runtime: Any,
                                                                     agent: RTAgent, real_rt: RealRT,
                                                                     rt_queue: str) -> None:
    instance = change_instance(api, real_rt, rt_queue, [{"field": "title", "remote": "Subject"},
                                                        {"field": "ci", "remote": "CF.Asset tag"}])
    rt_ticket(agent, rt_queue, "Label the cabinets")
    assert run_poll(runtime, instance)["status"] == "ok"
    ref = only_change(api)["ref"]

    api.patch(f"/api/v1/changes/{ref}", json={"ci": "ups-01"})
    drain(app, until=lambda: nothing_pending(runtime))

    with runtime.db.reading() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id.is_not(None)))
        assert message.status == "dead"
        assert f"has no custom field Asset tag: apply it to queue {rt_queue}" in message.last_error
    assert run_poll(runtime, instance)["status"] == "ok"
