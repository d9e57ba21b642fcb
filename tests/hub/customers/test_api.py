"""/api/v1/customers: the list, one customer's history, edits, merges, CSV, export and erasure."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import pytest
from flask import Flask

from hub.models import Attachment, AttachmentBlob, AuditEvent, CustomerEvent, InboundEvent, Ticket

TOKEN = "customers-token-0123456789abcdef"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["LOAD_ENTRYPOINTS"] = True  # the webhook connector: a channel as a web form or script uses it
    return app_config


@pytest.fixture
def hook(app: Flask) -> Any:
    """Post events to a webhook instance (the channel a web form or script uses)."""
    from hub.plugins.instances import create_instance

    with app.extensions["hub"].db.transaction() as session:
        create_instance(session=session, connector="webhook", slug="site", enabled=True,
                        config={"auth": "token", "secret": TOKEN, "idempotency_field": "id"})

    def post(body: dict[str, Any]) -> Any:
        answer = app.test_client().post("/api/v1/hooks/site", json=body, headers={"X-Hub-Token": TOKEN})
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
        return answer

    return post


def test_one_person_across_channels_is_one_customer(api: Any, hook: Any) -> None:
    hook({"id": "m1", "title": "Cabin 4 is cold", "requester": {"email": "ana@example.com", "name": "Ana"}})
    api.post("/api/v1/incidents", json={"title": "Called about cabin 4", "requester": {"email": "ANA@example.com"}})
    hook({"id": "other", "title": "Noise", "requester": {"email": "bo@example.com"}})
    listed = api.get("/api/v1/customers?q=ana").json["items"]
    assert [c["display_name"] for c in listed] == ["Ana"]
    detail = api.get(f"/api/v1/customers/{listed[0]['id']}").json
    assert [t["title"] for t in detail["tickets"]] == ["Called about cabin 4", "Cabin 4 is cold"]
    assert {t["source"] for t in detail["tickets"]} == {"api", "webhook"}
    assert detail["open_count"] == 2 and detail["ticket_count"] == 2 and detail["last_contact_at"]
    assert detail["identities"] == [{"id": detail["identities"][0]["id"], "kind": "email", "value": "ana@example.com"}]
    assert api.get("/api/v1/customers.csv").headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(api.get(f"/api/v1/customers/{listed[0]['id']}/tickets.csv")
                                           .get_data(as_text=True))))
    assert [row["title"] for row in rows] == ["Called about cabin 4", "Cabin 4 is cold"] and rows[0]["sla"]
    bad = api.get("/api/v1/customers.csv?limit=0")
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"


def test_edit_link_merge_unmerge(api: Any, hook: Any) -> None:
    hook({"id": "m1", "title": "Cold", "requester": {"email": "ana@example.com"}})
    hook({"id": "m2", "title": "Cold again", "requester": {"email": "ana.p@work.example"}})
    ana, work = (api.get(f"/api/v1/customers?q={q}").json["items"][0]["id"] for q in ("ana@", "work"))
    org = api.post("/api/v1/customer-organisations", json={"name": "Cabin 4 booking", "vip": True})
    assert org.status_code == 201
    patched = api.patch(f"/api/v1/customers/{ana}", json={"vip": True, "organisation": "Cabin 4 booking",
                                                            "owner": "alice", "notes": "Calls after 6"})
    assert patched.status_code == 200 and patched.json["owner"] == "alice"
    assert api.get(f"/api/v1/customer-organisations/{org.json['id']}").json["people"][0]["id"] == ana
    assert api.patch(f"/api/v1/customers/{ana}", json={"owner": "ghost"}).status_code == 422
    assert api.post(f"/api/v1/customers/{ana}/identities", json={"kind": "email", "value": "ana.p@work.example"}
                    ).status_code == 409
    phone = api.post(f"/api/v1/customers/{ana}/identities", json={"kind": "phone", "value": "+34 600 111 222"})
    assert phone.status_code == 201 and phone.json["value"] == "+34600111222"
    merged = api.post(f"/api/v1/customers/{work}/merge", json={"into": ana, "note": "same person"})
    assert merged.status_code == 200
    assert api.get(f"/api/v1/customers/{ana}").json["ticket_count"] == 2
    assert api.post(f"/api/v1/customers/{work}/unmerge", json={}).status_code == 200
    assert api.get(f"/api/v1/customers/{ana}").json["ticket_count"] == 1
    assert [e["action"] for e in api.get(f"/api/v1/customers/{work}/events").json] == ["unmerged", "merged"]
    assert api.delete(f"/api/v1/customers/{ana}/identities/{phone.json['id']}").status_code == 204
    assert api.get("/api/v1/customers/999999").status_code == 404


def test_export_then_erase_and_a_later_mail_starts_afresh(app: Flask, api: Any, hook: Any, session: Any) -> None:
    hook({"id": "m1", "title": "Cabin 4 is cold", "description": "Ana Pérez, cabin 4",
          "requester": {"email": "ana@example.com", "name": "Ana Pérez"}})
    ticket = session.query(Ticket).one()
    ref, customer = ticket.ref, ticket.customer_id
    session.rollback()  # end the read, so the API may write (SQLite)
    api.post(f"/api/v1/incidents/{ref}/attachments", data={"file": (io.BytesIO(b"photo of cabin 4"), "cabin.jpg")},
             content_type="multipart/form-data")
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "We are on it, Ana.", "visibility": "public"})
    export = api.get(f"/api/v1/customers/{customer}/export")
    assert export.status_code == 200
    data = export.json
    assert data["identities"][0]["value"] == "ana@example.com"
    exported = data["tickets"][0]
    assert exported["description"] == "Ana Pérez, cabin 4" and exported["raw_events"][0]["payload"]
    assert base64.b64decode(exported["attachments"][0]["content_base64"]) == b"photo of cabin 4"
    assert exported["comments"][0]["body"] == "We are on it, Ana."

    assert api.post(f"/api/v1/customers/{customer}/erase", json={"confirm": False}).status_code == 422
    erased = api.post(f"/api/v1/customers/{customer}/erase", json={"confirm": True, "note": "GDPR request 7"})
    assert erased.status_code == 200, erased.json
    assert erased.json["tickets"] == 1 and erased.json["attachments"] == 1 and erased.json["raw_events"] == 1
    session.expire_all()
    ticket = session.query(Ticket).one()
    assert (ticket.requester_email, ticket.requester_name, ticket.customer_id) == (None, None, None)
    assert "Ana" not in ticket.title + ticket.description
    assert session.query(Attachment).count() == 0 and session.query(AttachmentBlob).count() == 0
    event = session.query(InboundEvent).filter_by(ticket_id=ticket.id).one()
    assert event.payload is None and event.body is None
    trail = session.query(AuditEvent).filter_by(ticket_id=ticket.id).all()
    assert "erased" in [entry.action for entry in trail]
    assert not any("ana" in repr(entry.changes).lower() for entry in trail)
    kept = session.query(CustomerEvent).filter_by(customer_id=customer).all()
    assert [entry.action for entry in kept] == ["erased"] and "ana" not in repr(kept[0].details).lower()
    session.rollback()  # the test's session holds SQLite's write lock until it ends
    assert api.get(f"/api/v1/customers/{customer}").status_code == 404

    hook({"id": "m2", "title": "Hello again", "requester": {"email": "ana@example.com"}})
    fresh = api.get("/api/v1/customers?q=ana@example.com").json["items"]
    assert len(fresh) == 1 and fresh[0]["id"] != customer
    assert api.get(f"/api/v1/customers/{fresh[0]['id']}").json["ticket_count"] == 1


def test_roles(client_for: Any, hook: Any) -> None:
    hook({"id": "m1", "title": "Cold", "requester": {"email": "ana@example.com"}})
    agent, requester, connector = client_for("agent", "ada"), client_for("requester", "rita"), client_for("connector")
    customer = agent.get("/api/v1/customers").json["items"][0]["id"]
    assert requester.get("/api/v1/customers").status_code == 403
    assert connector.get("/api/v1/customers").status_code == 403
    assert agent.get(f"/api/v1/customers/{customer}/export").status_code == 403
    assert agent.post(f"/api/v1/customers/{customer}/erase", json={"confirm": True}).status_code == 403


def test_an_erasure_leaves_no_word_of_the_person_in_the_search_index(app: Flask, api: Any, hook: Any,
                                                                      session: Any) -> None:
    """SQLite's FTS5 index keeps a changed ticket's old words in its segments until they are
    merged: searching no longer finds them, but the file still holds them. An erasure must
    leave none (PostgreSQL's dead rows go at VACUUM: docs/admin.md)."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: the FTS5 index (PostgreSQL keeps no separate index file to read)")
    from sqlalchemy import text

    hook({"id": "m9", "title": "Quetzalcoatl Vandersloot lost a ring", "description": "Room 12",
          "requester": {"email": "qv@example.com", "name": "Q. Vandersloot"}})
    hook({"id": "m10", "title": "Another guest's lamp", "requester": {"email": "other@example.com"}})
    customer = session.query(Ticket).filter(Ticket.requester_email == "qv@example.com").one().customer_id

    def index_bytes() -> bytes:
        blocks = session.execute(text("SELECT block FROM tickets_fts_data")).scalars().all()
        session.rollback()  # end the read, so the API may write (SQLite)
        return b"".join(bytes(block) for block in blocks if block is not None)

    assert b"vandersloot" in index_bytes()
    assert api.post(f"/api/v1/customers/{customer}/erase", json={"confirm": True}).status_code == 200
    found = api.get("/api/v1/incidents?q=Vandersloot")
    assert found.status_code == 200 and found.json["items"] == [], found.json
    assert b"vandersloot" not in index_bytes() and b"quetzalcoatl" not in index_bytes()
    lamp = api.get("/api/v1/incidents?q=lamp")
    assert [t["title"] for t in lamp.json["items"]] == ["Another guest's lamp"], lamp.json
