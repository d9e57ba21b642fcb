"""Flapping: an alarm that comes and goes gives one incident marked flapping, not a storm."""

from __future__ import annotations

from typing import Any

import pytest

from hub.hookspecs import hookimpl
from hub.sdk.values import TicketDraft
from tests.support.plugin_fixtures import post_event, token_instance


class AlarmReader:
    """Reads {"state": "active"|"cleared"} events as alarm drafts with a flapping rule."""

    def __init__(self, reopen: bool) -> None:
        self.reopen = reopen

    @hookimpl
    def normalize_event(self, event: Any) -> TicketDraft:
        payload = event.payload
        return TicketDraft(action="open" if payload["state"] == "active" else "clear", title="Photo eye blocked",
                           correlation_key="labeler-1/P7", reopen_on_repeat=self.reopen, flap_threshold=3,
                           flap_minutes=10)


@pytest.mark.parametrize("reopen", [True, False], ids=["reopen-policy", "new-ticket-policy"])
def test_come_and_go_gives_one_flapping_incident(with_plugins: Any, request: Any, reopen: bool) -> None:
    with_plugins(AlarmReader(reopen))
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    for seq in range(12):
        response = post_event(app, secret, {"seq": seq, "state": "active" if seq % 2 == 0 else "cleared"})
        assert response.status_code in (200, 201, 202), response.json
    tickets = api.get("/api/v1/incidents").json["items"]
    if reopen:
        assert len(tickets) == 1
    else:
        # Before the threshold the policy opens new tickets; from then on the flapping one is reused.
        assert len(tickets) <= 3
    flapping = [ticket for ticket in tickets if ticket["flapping"]]
    assert len(flapping) == 1
    events = api.get("/api/v1/admin/events?limit=50").json
    assert any("flapping" in (event["reason"] or "") for event in events)


def storm(app: Any, secret: str, start: int = 0, count: int = 12) -> None:
    for seq in range(start, start + count):
        response = post_event(app, secret, {"seq": seq, "state": "active" if seq % 2 == 0 else "cleared"})
        assert response.status_code in (200, 201, 202), response.json


def test_back_after_a_quiet_spell_it_is_flapping_no_more(with_plugins: Any, request: Any) -> None:
    from datetime import UTC, datetime, timedelta

    with_plugins(AlarmReader(True))
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    storm(app, secret)
    (ticket,) = api.get("/api/v1/incidents").json["items"]
    assert ticket["flapping"] is True
    runtime = app.extensions["hub"]
    runtime.clock = lambda: datetime.now(UTC) + timedelta(minutes=11)  # quieter than the 10-minute window
    storm(app, secret, start=100, count=1)  # it comes back once
    (ticket,) = api.get("/api/v1/incidents").json["items"]
    assert ticket["flapping"] is False
    events = api.get("/api/v1/admin/events?limit=5").json
    assert any("no longer flapping" in (event["reason"] or "") for event in events)


def test_the_hourly_sweep_clears_a_flapping_problem_not_seen_for_an_hour(with_plugins: Any, request: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from hub.jobs import maintenance

    with_plugins(AlarmReader(True))
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    storm(app, secret)
    runtime = app.extensions["hub"]
    with app.app_context():  # as a worker runs it
        assert maintenance.clear_quiet_flapping() == 0  # just seen: still flapping
        runtime.clock = lambda: datetime.now(UTC) + timedelta(minutes=61)
        assert maintenance.clear_quiet_flapping() == 1
    (ticket,) = api.get("/api/v1/incidents").json["items"]
    assert ticket["flapping"] is False
    history = api.get(f"/api/v1/incidents/{ticket['ref']}/audit").json
    assert any("no longer flapping" in (entry.get("note") or "") for entry in history)
