"""The survey_answered hook: fired once when a requester rates a resolved ticket on the status page."""

from __future__ import annotations

import re
from typing import Any

from hub.hookspecs import hookimpl
from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket


class Listener:
    name = "listener"

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    @hookimpl
    def survey_answered(self, ticket: Any, score: int, comment: str, session: Any) -> None:
        self.recorder("survey_answered", ref=ticket.ref, score=score, comment=comment,
                      in_transaction=session.in_transaction())


def _csrf(client: Any, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "the status page has no form"
    return match.group(1)


def test_hook_survey_answered(app_config: Any, request: Any, with_plugins: Any, recorder: Any) -> None:
    with_plugins(Listener(recorder))
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    ref = api.post("/api/v1/incidents", json={"title": "Shower cold", "requester": {
        "name": "Ines", "email": "ines@example.org"}}).json["ref"]
    assert api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Boiler reset"}
                    ).status_code == 200
    with app.extensions["hub"].db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
    client = app.test_client()
    page = f"/s/{token}"
    answer = client.post(f"{page}/rate", data={"csrf_token": _csrf(client, page), "score": "4",
                                               "comment": "Quick, thanks"})
    assert answer.status_code == 302
    assert recorder.of("survey_answered") == [
        {"ref": ref, "score": 4, "comment": "Quick, thanks", "in_transaction": True}]
    # Once per ticket: a second rating is refused and fires nothing.
    again = client.post(f"{page}/rate", data={"csrf_token": _csrf(client, page), "score": "1"},
                        follow_redirects=True)
    assert "rated already" in again.get_data(as_text=True)
    assert len(recorder.of("survey_answered")) == 1
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["csat_score"] == 4
