"""Who speaks to the requester of a ticket synced with Request Tracker: one system, never both.

The hub's mail is counted where it arrives (a real SMTP sink); RT's at the REST2 double,
by RT's default scrips: "On Create Autoreply To Requestors" and "On Correspond Notify
Requestors and Ccs", which skip the person who acted (``$NotifyActor`` is off). So RT
mails a requestor on the creation of their ticket and on every reply someone else posts.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import ConnectorInstance
from tests.fakes.fixtures import jira_server, rt_server, servicenow_server  # noqa: F401 - fixtures
from tests.fakes.rt import RTFake
from tests.support.jobs import drain

pytestmark = pytest.mark.imap

MARIA = "maria@example.org"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [*app_config["PLUGINS"], ("rt", "connectors.rt"), ("jira", "connectors.jira"),
                             ("servicenow", "connectors.servicenow")]
    app_config.update(OUTBOX_BACKOFF_SECONDS=0.05, OUTBOX_BACKOFF_MAX_SECONDS=0.2)
    return app_config


def add_rt(api: Any, server: Any, **config: Any) -> int:
    body = {"connector": "rt", "slug": "rt", "enabled": True, "poll_interval": 3600,
            "config": {"url": server.url, "token": "rt-token", "rt_user": "hub", **config}}
    response = api.post("/api/v1/admin/instances", json=body)
    assert response.status_code == 201, response.json
    with api.client.application.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(ConnectorInstance.id).where(ConnectorInstance.slug == "rt")))


def maria_writes(mailbox: Any, subject: str, body: str, message_id: str) -> None:
    mailbox.append((f"From: Maria Lopez <{MARIA}>\r\nTo: care@hub.test\r\nSubject: {subject}\r\n"
                    f"Message-ID: {message_id}\r\nDate: Tue, 01 Dec 2026 09:00:00 +0100\r\n"
                    f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode())


def hub_mail_to_maria(app: Any, sink: Any) -> list[str]:
    drain(app)
    return [message.message.get_content().strip() for message in sink.messages if MARIA in message.rcpt_tos]


def rt_mail_to_maria(fake: RTFake, ticket_id: int) -> list[str]:
    """What RT's default scrips mail her: the autoreply to her ticket, and replies others post."""
    if MARIA not in fake.ticket(ticket_id)["Requestor"]:
        return []
    said = []
    for txn in fake.transactions(ticket_id):
        if txn.type == "Create" or (txn.type == "Correspond" and txn.creator != MARIA):
            parts = [part.content.decode() for part in fake.attachments(txn.id) if part.content]
            said.append(f"{txn.type}: {' '.join(parts).strip()}")
    return said


def rt_messages(fake: RTFake, ticket_id: int) -> list[tuple[str, str, str]]:
    return [(txn.type, txn.creator, " ".join(part.content.decode() for part in fake.attachments(txn.id)).strip())
            for txn in fake.transactions(ticket_id) if txn.type in ("Correspond", "Comment")]


def test_a_ticket_from_rt_is_spoken_for_by_rt_alone(app: Any, api: Any, runtime: Any, mailbox: Any, smtp_sink: Any,
                                                    add_mailbox: Any, rt_server: Any) -> None:  # noqa: F811
    add_mailbox(mailbox, smtp_sink)
    care = 1
    rt = add_rt(api, rt_server)
    fake: RTFake = rt_server.fake
    # Maria mailed RT's own address; RT made the ticket (and autoreplied to her).
    made = fake.create_ticket("General", "Heating broken in room 12", requestor=[MARIA], content="Room 12 is cold.",
                              user=MARIA)
    assert run_poll(runtime, rt)["created"] == 1
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    # An agent answers in the hub, another in RT; Maria writes to the hub's mailbox too.
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "A technician is on the way."}
                    ).status_code == 201
    drain(app)
    fake.correspond(made["id"], "Parts are ordered.", user="root")
    run_poll(runtime, rt)
    maria_writes(mailbox, f"Re: [{ref}] Heating broken in room 12", "Still cold.", "<still@example.org>")
    run_poll(runtime, care)
    drain(app)
    fake.update_ticket(made["id"], Status="resolved", user="root")
    run_poll(runtime, rt)
    assert api.get(f"/api/v1/incidents/{ref}").json["status"] == "resolved"

    assert hub_mail_to_maria(app, smtp_sink) == []  # no second acknowledgement, no second copy of anything
    assert rt_mail_to_maria(fake, made["id"]) == [
        "Create: Room 12 is cold.", "Correspond: A technician is on the way.", "Correspond: Parts are ordered."]
    # Her own words reached RT's agents as a comment, which RT does not mail back to her.
    assert ("Comment", "hub", "Still cold.") in rt_messages(fake, made["id"])


def test_a_ticket_from_the_hubs_mailbox_is_spoken_for_by_the_hub_alone(
        app: Any, api: Any, runtime: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any,
        rt_server: Any) -> None:  # noqa: F811
    add_mailbox(mailbox, smtp_sink)
    care = 1
    rt = add_rt(api, rt_server, create_remote=True)
    fake: RTFake = rt_server.fake
    maria_writes(mailbox, "Printer on floor 2 jams", "Every second page.", "<printer@example.org>")
    run_poll(runtime, care)
    drain(app)
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    (made,) = fake.tickets()
    assert MARIA not in made["Requestor"]  # RT does not write to her: the hub does
    assert api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Toner ordered."}).status_code == 201
    drain(app)
    fake.correspond(made["id"], "Fuser replaced.", user="root")
    run_poll(runtime, rt)
    maria_writes(mailbox, f"Re: [{ref}] Printer on floor 2 jams", "Thanks, it works.", "<thanks@example.org>")
    run_poll(runtime, care)
    drain(app)

    mails = hub_mail_to_maria(app, smtp_sink)
    # One acknowledgement, one copy of each reply (a status mail may come too: RT opened the ticket).
    assert sum("We have received your request" in mail for mail in mails) == 1
    assert [mail.split("\r\n\r\n")[2] for mail in mails if " wrote on " in mail] == [
        "Toner ordered.", "Fuser replaced."]
    assert rt_mail_to_maria(fake, made["id"]) == []
    assert ("Comment", "hub", "Thanks, it works.") in rt_messages(fake, made["id"])


def test_an_instance_set_to_remote_makes_rt_speak_for_hub_tickets_too(
        app: Any, api: Any, runtime: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any,
        rt_server: Any) -> None:  # noqa: F811
    add_mailbox(mailbox, smtp_sink)
    add_rt(api, rt_server, create_remote=True, requester_conversation="remote")
    maria_writes(mailbox, "Printer on floor 2 jams", "Every second page.", "<printer@example.org>")
    run_poll(runtime, 1)
    assert hub_mail_to_maria(app, smtp_sink) == []
    (made,) = rt_server.fake.tickets()
    assert made["Requestor"] == [MARIA]  # RT acknowledges her, and answers her from now on
    assert rt_mail_to_maria(rt_server.fake, made["id"]) == ["Create: Every second page."]


def test_an_instance_set_to_hub_keeps_the_hub_speaking_for_rt_tickets(
        app: Any, api: Any, runtime: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any,
        rt_server: Any) -> None:  # noqa: F811
    add_mailbox(mailbox, smtp_sink)
    rt = add_rt(api, rt_server, requester_conversation="hub")
    rt_server.fake.create_ticket("General", "Heating broken", requestor=[MARIA], content="Cold.", user=MARIA)
    run_poll(runtime, rt)
    (ack,) = hub_mail_to_maria(app, smtp_sink)
    assert "We have received your request" in ack


def add_requesters_own_comment(app: Any, ref: str, body: str) -> None:
    """Maria writes on her status page (her mail reply is the same: a comment by the requester)."""
    from hub.app import services
    from hub.sdk.actors import Actor

    with app.extensions["hub"].db.transaction() as session:
        services.add_comment(session, ref, body, Actor.requester("Maria Lopez"))
    drain(app)


def test_servicenow_gets_the_requesters_own_words_as_a_work_note(
        app: Any, api: Any, runtime: Any, servicenow_server: Any) -> None:  # noqa: F811
    servicenow_server.fake.user_timezone = "UTC"
    made = api.post("/api/v1/admin/instances", json={
        "connector": "servicenow", "slug": "sn", "enabled": True, "poll_interval": 3600,
        "config": {"instance_url": servicenow_server.url, "username": "admin", "password": "admin",
                   "tables": ["incident"]}})
    assert made.status_code == 201, made.json
    sys_id = servicenow_server.fake.create_record("incident", short_description="Leaking tap")["sys_id"]
    run_poll(runtime, 1)
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    add_requesters_own_comment(app, ref, "It leaks again.")
    # A customer-visible comment by the hub's user would be mailed to the caller by ServiceNow.
    assert [(j["element"], j["value"]) for j in servicenow_server.fake.journal(sys_id)] == [
        ("work_notes", "It leaks again.")]


def test_jira_gets_the_requesters_own_words_as_an_internal_comment(
        app: Any, api: Any, runtime: Any, jira_server: Any) -> None:  # noqa: F811
    made = api.post("/api/v1/admin/instances", json={
        "connector": "jira", "slug": "jira", "enabled": True, "poll_interval": 3600,
        "config": {"site_url": jira_server.url, "email": "hub@example.com", "api_token": "jira-token",
                   "project": "ITSM", "incident_types": ["Incident"], "change_types": ["Change"]}})
    assert made.status_code == 201, made.json
    key = jira_server.fake.create_issue("ITSM", "Leaking tap", issuetype="Incident")["key"]
    run_poll(runtime, 1)
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    add_requesters_own_comment(app, ref, "It leaks again.")
    # A public comment by the hub's user would be mailed to the customer by Jira Service Management.
    assert [c["internal"] for c in jira_server.fake.comments(key)] == [True]


def test_servicenow_set_to_remote_leaves_the_hub_speaking_for_hub_tickets(
        app: Any, api: Any, runtime: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any,
        servicenow_server: Any) -> None:  # noqa: F811
    """ServiceNow's record made by the hub has no caller with her address: were the hub quiet, nobody would speak."""
    add_mailbox(mailbox, smtp_sink)
    made = api.post("/api/v1/admin/instances", json={
        "connector": "servicenow", "slug": "sn", "enabled": True, "poll_interval": 3600,
        "config": {"instance_url": servicenow_server.url, "username": "admin", "password": "admin",
                   "tables": ["incident"], "create_remote": True, "requester_conversation": "remote"}})
    assert made.status_code == 201, made.json
    maria_writes(mailbox, "Printer on floor 2 jams", "Every second page.", "<printer@example.org>")
    run_poll(runtime, 1)
    (ack,) = hub_mail_to_maria(app, smtp_sink)
    assert "We have received your request" in ack
