"""D20 of ../shared/findings/security.md: a requester's e-mail is stored in lower case from
every source, and a requester sees their own tickets whatever case a source typed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.models import Ticket
from tests.support.plugin_fixtures import post_event, token_instance


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("webform", "connectors.webform")]
    return app_config


def stored_emails(runtime: Any) -> list[str | None]:
    with runtime.db.reading() as session:
        return list(session.scalars(select(Ticket.requester_email).order_by(Ticket.id)))


def test_d20_every_source_stores_the_address_in_lower_case(app: Any, api: Any, runtime: Any) -> None:
    secret = token_instance(api)
    assert post_event(app, secret, {"title": "hook", "requester": {"email": " Req2@Example.COM "}}).status_code == 201
    assert api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "form1", "enabled": True,
                                                     "config": {"title": "Report", "fields": [
        {"name": "subject", "label": "Subject", "type": "text", "required": True, "maps_to": "title"},
        {"name": "email", "label": "Email", "type": "email", "maps_to": "requester_email"}]}}).status_code == 201
    form = app.test_client().post("/api/v1/forms/form1", json={"values": {"subject": "form",
                                                                          "email": "Req2@Example.COM"}})
    assert form.status_code == 201, form.json
    assert api.post("/api/v1/incidents", json={"title": "api", "requester": {"email": "REQ2@example.com"}}
                    ).status_code == 201
    assert stored_emails(runtime) == ["req2@example.com"] * 3


def test_d20_the_requester_sees_tickets_a_source_typed_in_another_case(app: Any, api: Any, runtime: Any,
                                                                       client_for: Any) -> None:
    secret = token_instance(api)
    ref = post_event(app, secret, {"title": "mine", "requester": {"email": "Req2@Example.COM"}}).json["ticket"]
    requester = client_for("requester", "u_requester2", "req2@example.com")
    assert requester.get(f"/api/v1/incidents/{ref}").status_code == 200
    assert [item["ref"] for item in requester.get("/api/v1/incidents").json["items"]] == [ref]
    assert [item["ref"] for item in api.get("/api/v1/incidents?requester_email=REQ2@EXAMPLE.COM").json["items"]] \
        == [ref]


def test_d20_a_change_of_address_is_stored_in_lower_case(api: Any, runtime: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    from hub.sdk.actors import Actor
    from hub.tracker.tickets import get_ticket, update_ticket

    with runtime.db.transaction() as session:
        changes = update_ticket(session=session, ticket=get_ticket(session, ref),
                                values={"requester_email": "Somebody@Example.ORG"}, actor=Actor.system())
        assert changes["requester_email"] == (None, "somebody@example.org")
        again = update_ticket(session=session, ticket=get_ticket(session, ref),
                              values={"requester_email": "SOMEBODY@example.org"}, actor=Actor.system())
        assert again == {}  # the same address in another case is no change


def test_d20_the_migration_lowers_the_addresses_already_stored(database_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from hub.app import migrate
    from hub.core.db import Database

    database = Database(database_url)
    try:
        now = datetime.now(UTC)
        with Session(database.engine) as session, session.begin():
            for number, email in enumerate(["Req2@Example.COM", "ÄBC@Example.COM", "plain@example.com", None], 1):
                session.add(Ticket(kind="incident", number=number, ref=f"INC-{number:06d}", title="old",
                                   status="new", priority=3, requester_email=email, created_at=now, updated_at=now))
        migrate.downgrade(database, "0006")
        migrate.upgrade(database)
        with Session(database.engine) as session:
            emails = list(session.scalars(select(Ticket.requester_email).order_by(Ticket.id)))
        assert emails == ["req2@example.com", "äbc@example.com", "plain@example.com", None]
    finally:
        database.dispose()
