"""Ingest's first pass: hooks share one savepoint and a new record is not looked up first.

hub.ingest.pipeline.process_event reads an event once with the plugins' hooks sharing the
event's savepoint, guessing that a record named for the first time is new (issue 23: two
statements per writing hook and a lookup per event saved). When a hook fails or the guess
is wrong it rolls back and reads the event again the careful way. A webhook request of one
event goes without even that savepoint: on a failure the request's transaction is rolled
back and done again with it (RedoCarefully). These tests hold the outcome of every pass
to what the careful way alone would give.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from hub import create_app
from hub.hookspecs import hookimpl

TOKEN = "first-pass-token-0123456789"


class Notes:
    """A plugin that writes a note (a department) for each new ticket."""

    @hookimpl
    def ticket_created(self, ticket: Any, session: Any) -> None:
        from hub.models import Department

        session.add(Department(slug=f"seen-{ticket.id}", name=f"Seen {ticket.ref}",
                               created_at=func.current_timestamp()))


class BreaksOnBoilers:
    """A plugin whose write fails for tickets about boilers, after writing a first row."""

    @hookimpl
    def ticket_created(self, ticket: Any, session: Any) -> None:
        from hub.models import Department

        if "boiler" in ticket.title.lower():
            session.add(Department(slug="half-done", name="Half done", created_at=func.current_timestamp()))
            session.flush()
            raise RuntimeError("boiler table missing")


class Refuses:
    @hookimpl
    def before_ticket_create(self, draft: Any) -> str | None:
        return "no pumps here" if "pump" in (draft.title or "").lower() else None


@pytest.fixture
def hub_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app_config["PLUGINS"] = [("notes", Notes()), ("breaks-on-boilers", BreaksOnBoilers()), ("refuses", Refuses()),
                             ("webhook", "connectors.webhook")]
    app = create_app(app_config)
    with app.extensions["hub"].db.transaction() as session:
        from hub.plugins.instances import create_instance

        create_instance(session=session, connector="webhook", slug="line", enabled=True,
                        config={"auth": "token", "secret": TOKEN, "idempotency_field": "id",
                                "mapping": {"title": "title", "external_id": "record"}})
    yield app
    app.extensions["hub"].db.dispose()


def post(app: Flask, body: dict[str, Any]) -> Any:
    return app.test_client().post("/api/v1/hooks/line", json=body, headers={"X-Hub-Token": TOKEN})


def scalar(app: Flask, query: Any) -> Any:
    with app.extensions["hub"].db.reading() as session:
        return session.scalar(query)


def departments(app: Flask) -> set[str]:
    from hub.models import Department

    with app.extensions["hub"].db.reading() as session:
        return set(session.scalars(select(Department.slug)))


@pytest.fixture
def statements(hub_app: Flask, kept_caches: None) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    engine = hub_app.extensions["hub"].db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_hooks_that_write_share_the_events_savepoint(hub_app: Flask, statements: list[str]) -> None:
    post(hub_app, {"id": "warm", "record": "R-0", "title": "Warm up"})
    statements.clear()
    answer = post(hub_app, {"id": "e1", "record": "R-1", "title": "Conveyor stopped"})
    assert answer.status_code == 201, answer.json
    assert not [line for line in statements if line.startswith("SAVEPOINT")], "a request of one event needs none"
    assert not [line for line in statements if line.startswith("SELECT external_links")], statements
    assert f"seen-{scalar(hub_app, _ticket_id(answer.json['ticket']))}" in departments(hub_app)


def test_events_sent_together_share_a_savepoint_each(hub_app: Flask, statements: list[str]) -> None:
    """Several events in one request: one event's failure must not undo the others, so
    each is read under its own savepoint (the hooks share it)."""
    post(hub_app, {"id": "warm", "record": "R-0", "title": "Warm up"})
    statements.clear()
    answer = post(hub_app, [{"id": "t1", "record": "R-11", "title": "Conveyor stopped"},
                            {"id": "t2", "record": "R-12", "title": "Boiler cold"},
                            {"id": "t3", "record": "R-13", "details": "no title"}])
    assert answer.status_code in (200, 201, 207), answer.json
    assert [event["status"] for event in answer.json["events"]] == ["applied", "applied", "quarantined"]
    assert sum(line.startswith("SAVEPOINT") for line in statements) >= 3, statements
    assert plugin_failures(hub_app) == {"breaks-on-boilers": 1}


def plugin_failures(app: Flask) -> dict[str, int]:
    return dict(app.extensions["hub"].plugins.failures.counts)


def test_an_event_that_cannot_be_applied_alone_is_kept_in_quarantine(hub_app: Flask) -> None:
    """The first pass fails (nothing to title a ticket with): the request's transaction is
    rolled back, stored event and all, and the second pass keeps the event quarantined."""
    from hub.models import InboundEvent, Ticket

    answer = post(hub_app, {"id": "q1", "record": "R-20", "details": "no title"})
    assert answer.json["status"] == "quarantined", answer.json
    assert "title" in answer.json["reason"].lower(), answer.json
    assert scalar(hub_app, select(func.count(InboundEvent.id)).where(InboundEvent.status == "quarantined")) == 1
    assert scalar(hub_app, select(func.count(Ticket.id))) == 0
    again = post(hub_app, {"id": "q1", "record": "R-20", "details": "no title"})
    assert again.json["status"] == "quarantined" and again.json["duplicate"], again.json


def _ticket_id(ref: str) -> Any:
    from hub.models import Ticket

    return select(Ticket.id).where(Ticket.ref == ref)


def test_a_failing_hook_is_undone_alone_and_counted_once(hub_app: Flask) -> None:
    answer = post(hub_app, {"id": "e2", "record": "R-2", "title": "Boiler in hall 2 is down"})
    assert answer.status_code == 201, answer.json
    ticket_id = scalar(hub_app, _ticket_id(answer.json["ticket"]))
    # The other plugin's write stands; the failing plugin's first row is gone with it.
    assert departments(hub_app) == {f"seen-{ticket_id}"}
    plugins = hub_app.extensions["hub"].plugins
    assert plugins.failures.counts == {"breaks-on-boilers": 1}
    from hub.models import Ticket

    assert scalar(hub_app, select(func.count(Ticket.id))) == 1  # the first pass's ticket was rolled back


def test_a_record_named_again_is_the_same_ticket(hub_app: Flask) -> None:
    """The first pass guesses 'new'; the link's unique key says otherwise and the careful
    pass applies the event to the linked ticket, as a lookup first would have."""
    first = post(hub_app, {"id": "e3", "record": "R-3", "title": "Labeller jams"})
    second = post(hub_app, {"id": "e4", "record": "R-3", "title": "Labeller jams again"})
    assert first.status_code == 201, first.json
    assert second.status_code == 200, second.json
    assert second.json["ticket"] == first.json["ticket"]
    from hub.models import ExternalLink, Ticket

    assert scalar(hub_app, select(func.count(Ticket.id))) == 1
    assert scalar(hub_app, select(func.count(ExternalLink.id))) == 1
    assert departments(hub_app) == {f"seen-{scalar(hub_app, _ticket_id(first.json['ticket']))}"}


def test_a_veto_is_checked_against_the_known_record(hub_app: Flask) -> None:
    """A refused open of a new record is ignored; the same words about a known record
    still reach its ticket (the veto is about new tickets)."""
    first = post(hub_app, {"id": "e5", "record": "R-5", "title": "Filler leaks"})
    refused_new = post(hub_app, {"id": "e6", "record": "R-6", "title": "Pump noisy"})
    about_known = post(hub_app, {"id": "e7", "record": "R-5", "title": "Pump of the filler noisy"})
    assert refused_new.json["action"] == "vetoed", refused_new.json
    assert about_known.json["ticket"] == first.json["ticket"], about_known.json
