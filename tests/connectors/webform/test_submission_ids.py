"""D14 of ../shared/findings/security.md: a submission id is a retry token, never a way to
another ticket's status link. The same id with the same content answers the first ticket;
with other content it is a conflict and files nothing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from hub.models import InboundEvent, Ticket
from tests.connectors.webform.conftest import form_token

VICTIM = {"name": "Vera", "email": "victim@example.com", "building": "B2", "message": "victim report"}


def count(runtime: Any, model: Any) -> int:
    with runtime.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def post_json(app: Any, body: dict[str, Any]) -> Any:
    return app.test_client().post("/api/v1/forms/facilities-request", json=body)


def test_d14_the_same_id_with_other_content_gets_no_status_link(app: Any, runtime: Any, forms: Any) -> None:
    first = post_json(app, {"submission": "order-1001", "values": VICTIM})
    assert first.status_code == 201 and first.json["status_url"]
    attacker = post_json(app, {"submission": "order-1001", "values": {**VICTIM, "message": "attacker",
                                                                       "email": "attacker@example.com"}})
    assert attacker.status_code == 409, attacker.json
    assert attacker.headers["Content-Type"] == "application/problem+json"
    assert "status_url" not in attacker.json and first.json["status_url"] not in attacker.get_data(as_text=True)
    assert "submission id was already used" in attacker.json["detail"]
    assert (count(runtime, Ticket), count(runtime, InboundEvent)) == (1, 1)


def test_d14_an_exact_retry_still_answers_the_first_ticket(app: Any, forms: Any) -> None:
    first = post_json(app, {"submission": "order-1002", "values": VICTIM})
    again = post_json(app, {"values": dict(reversed(list(VICTIM.items()))), "submission": "order-1002"})
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert again.json["status_url"] == first.json["status_url"]


def test_d14_the_conflict_carries_cors_headers_for_an_allowed_origin(app: Any, forms: Any) -> None:
    origin = {"Origin": "https://intranet.example.org"}
    app.test_client().post("/api/v1/forms/facilities-request", json={"submission": "s1", "values": VICTIM},
                           headers=origin)
    again = app.test_client().post("/api/v1/forms/facilities-request", headers=origin,
                                   json={"submission": "s1", "values": {**VICTIM, "building": "C3"}})
    assert again.status_code == 409 and again.headers["Access-Control-Allow-Origin"] == origin["Origin"]


def test_d14_the_page_sent_again_with_other_answers_says_so_and_files_nothing(app: Any, runtime: Any,
                                                                             forms: Any) -> None:
    client = app.test_client()
    fields = form_token(client, "facilities-request")
    sent = client.post("/f/facilities-request", data={**fields, **VICTIM}, content_type="multipart/form-data")
    assert sent.status_code == 200 and "/s/" in sent.get_data(as_text=True)
    edited = client.post("/f/facilities-request", data={**fields, **VICTIM, "message": "changed my mind"},
                         content_type="multipart/form-data")
    html = edited.get_data(as_text=True)
    assert edited.status_code == 409 and "already sent with other answers" in html
    assert "/s/" not in html and count(runtime, Ticket) == 1
    # The form comes back with a new id: sending it now files the edited report.
    new_id = re.search(r'name="submission" value="([^"]+)"', html)
    assert new_id and new_id.group(1) != fields["submission"]
    resent = client.post("/f/facilities-request", data={**fields, "submission": new_id.group(1), **VICTIM,
                                                        "message": "changed my mind"},
                         content_type="multipart/form-data")
    assert resent.status_code == 200 and count(runtime, Ticket) == 2
