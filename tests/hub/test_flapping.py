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
