"""new_ticket_due_times: a new ticket's due times are asked for before it is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import event

from hub.hookspecs import hookimpl
from hub.sdk.values import TicketInfo

DUE = dt.datetime(2030, 5, 6, 7, 8, tzinfo=dt.UTC)


class DueTimes:
    name = "due-times"

    def __init__(self, recorder: Any) -> None:
        self.record = recorder

    @hookimpl
    def new_ticket_due_times(self, ticket: TicketInfo, session: Any) -> dict[str, Any] | None:
        self.record("new_ticket_due_times", ticket=ticket, session=session)
        if "no clock" in ticket.title:
            return None
        if "broken" in ticket.title:
            raise RuntimeError("calendar missing")
        return {"response_due_at": DUE, "resolve_due_at": DUE + dt.timedelta(days=2)}

    @hookimpl
    def ticket_created(self, ticket: TicketInfo) -> None:
        self.record("ticket_created", ticket=ticket)


def test_hook_new_ticket_due_times(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(DueTimes(recorder))
    api = request.getfixturevalue("api")
    app: Flask = request.getfixturevalue("app")
    seen: list[str] = []
    engine = app.extensions["hub"].db.engine

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:2]))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        answer = api.post("/api/v1/incidents", json={"title": "Leak", "impact": "high"})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert answer.status_code == 201, answer.json
    (asked,) = recorder.of("new_ticket_due_times")
    # Before it is written: no id and no reference yet, everything else as it will be stored.
    assert (asked["ticket"].id, asked["ticket"].ref, asked["ticket"].priority) == (0, "", 2)
    assert asked["session"] is not None
    (created,) = recorder.of("ticket_created")
    assert created["ticket"].response_due_at == DUE
    assert created["ticket"].resolve_due_at == DUE + dt.timedelta(days=2)
    stored = api.get(f"/api/v1/incidents/{answer.json['ref']}").json
    assert dt.datetime.fromisoformat(stored["response_due_at"]) == DUE
    assert "UPDATE tickets" not in seen, "the due times went in with the INSERT"


def test_no_answer_leaves_the_due_times_unset(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(DueTimes(recorder))
    api = request.getfixturevalue("api")
    stored = api.post("/api/v1/incidents", json={"title": "Leak, no clock"}).json
    assert (stored["response_due_at"], stored["resolve_due_at"]) == (None, None)


def test_a_failing_answer_is_the_plugins_alone(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(DueTimes(recorder))
    api = request.getfixturevalue("api")
    app: Flask = request.getfixturevalue("app")
    answer = api.post("/api/v1/incidents", json={"title": "Leak, broken"})
    assert answer.status_code == 201, answer.json
    assert answer.json["response_due_at"] is None
    assert app.extensions["hub"].plugins.failures.counts.get("due-times") == 1
