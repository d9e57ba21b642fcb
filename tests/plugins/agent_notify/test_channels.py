"""Mail at once or as an hourly digest (a real SMTP server), each person's choices, and team
webhooks signed like the webhook connector's posts (a real HTTP server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.jobs import drain
from tests.support.sink import Sink, running_sink

SECRET = "line-chat-secret-0123456789"


@pytest.fixture
def relay(api: Any, smtp_sink: Any) -> Any:
    """The send-only ``smtp`` connector, relaying to the sink."""
    response = api.post("/api/v1/admin/instances", json={
        "connector": "smtp", "slug": "relay", "enabled": True,
        "config": {"smtp_host": smtp_sink.host, "smtp_port": smtp_sink.port, "smtp_security": "plain",
                   "from_address": "hub@hub.test", "from_name": "itsm-hub"}})
    assert response.status_code == 201, response.json
    return smtp_sink


def mails(app: Flask, sink: Any, count: int) -> list[Any]:
    drain(app, until=lambda: len(sink.messages) >= count, what=f"{count} mails at the SMTP server")
    drain(app)
    return [message.message for message in sink.messages]


def queued_mails(app: Flask) -> int:
    from sqlalchemy import func, select

    from hub.models import OutboxMessage

    with app.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.action == "mail")) or 0)


def choose(app: Flask, username: str, choices: dict[str, Any]) -> None:
    from hub.sdk import hub_services

    with app.extensions["hub"].db.transaction() as session:
        hub_services.set_preferences(session, username, "agent-notify", choices)


def test_each_member_gets_a_mail_at_once(app: Flask, team: Any, relay: Any) -> None:
    ref = team.incident(group="quality")
    received = mails(app, relay, 2)
    assert sorted(message["To"] for message in received) == ["bob@hub.test", "carol@hub.test"]
    bob = next(message for message in received if message["To"] == "bob@hub.test")
    assert bob["Subject"] == f"New in quality: {ref} Filler on line 3 stops every hour"
    assert f"[{ref}]" not in bob["Subject"]  # a reply must not land on the ticket as the requester's
    body = bob.get_content()
    assert body.startswith("Hello Bob,") and f"Open it: http://hub.test/tickets/{ref}" in body
    assert "http://hub.test/notifications/settings" in body
    assert bob["Auto-Submitted"] == "auto-generated"


def test_choices_per_event_and_channel(app: Flask, team: Any, relay: Any) -> None:
    choose(app, "bob", {"events": {"new_in_group": []}})  # nothing of new tickets, defaults for the rest
    choose(app, "carol", {"events": {"new_in_group": ["email"]}})  # mail only
    ref = team.incident(group="quality")
    (mail,) = mails(app, relay, 1)
    assert mail["To"] == "carol@hub.test"
    assert team.inbox("bob") == [] and team.inbox("carol") == []
    team.api.patch(f"/api/v1/incidents/{ref}", json={"assignee": "bob"})  # assigned: bob's defaults hold
    assert team.kinds("bob") == [("assigned", ref)]
    assert [message["To"] for message in mails(app, relay, 2)][1] == "bob@hub.test"


def test_no_mail_without_an_address_or_where_mail_is_off_by_default(app: Flask, team: Any, relay: Any) -> None:
    from tests.plugins.agent_notify.conftest import add_person

    add_person(app, "frank", email=None)
    team.api.put("/api/v1/groups/quality/members/frank")
    ref = team.incident(group="quality", requester={"name": "Gina", "email": "gina@example.org"})
    assert len(mails(app, relay, 2)) == 2  # bob and carol; frank has no address
    assert team.kinds("frank") == [("new_in_group", ref)]
    from hub.app import services
    from hub.sdk.actors import Actor

    with app.extensions["hub"].db.transaction() as session:
        services.add_comment(session, ref, "Still broken.", Actor.requester("Gina"))
    drain(app)
    assert len(relay.messages) == 2  # a requester's reply is in the list, not in mail, until one asks
    assert [kind for kind, _ in team.kinds("bob")] == ["requester_replied", "new_in_group"]


def test_an_hourly_digest_instead_of_single_mails(app: Flask, team: Any, relay: Any) -> None:
    from plugins.agent_notify.digest import send_digests

    choose(app, "bob", {"events": {}, "email": "hourly"})
    choose(app, "carol", {"events": {"new_in_group": []}})
    first = team.incident(group="quality")
    second = team.incident(group="quality", title="Label printer offline")
    assert queued_mails(app) == 0  # no single mail
    assert len(team.inbox("bob")) == 2  # the list has them at once
    # The scheduler's hourly window runs the digest job in a worker.
    assert "agent-notify.digest" in app.extensions["hub"].schedules()
    (digest,) = mails(app, relay, 1)
    with app.app_context():
        assert send_digests()["digests"] == 0  # each waited once
    assert digest["To"] == "bob@hub.test" and digest["Subject"] == "Your hub digest: 2 notifications"
    body = digest.get_content()
    assert f"New in quality: {first}" in body and f"New in quality: {second} Label printer offline" in body
    assert "http://hub.test/notifications" in body


def test_a_digest_of_mail_only_events_keeps_them_out_of_the_list(app: Flask, team: Any, relay: Any) -> None:
    from plugins.agent_notify.digest import send_digests

    choose(app, "bob", {"events": {"new_in_group": ["email"]}, "email": "hourly"})
    team.incident(group="quality")
    assert team.inbox("bob") == []
    with app.app_context():
        assert send_digests()["digests"] == 1
    assert len(mails(app, relay, 2)) == 2  # carol's single mail, bob's digest


def test_read_notifications_are_forgotten_after_the_kept_days(app: Flask, team: Any) -> None:
    from datetime import timedelta

    from hub.sdk import hub_services
    from plugins.agent_notify.digest import send_digests

    team.incident(group="quality")
    team.incident(group="quality")
    with app.extensions["hub"].db.transaction() as session:
        newest = hub_services.notifications(session, "bob")[0]
        assert hub_services.mark_notifications_read(session, "bob", [newest.id]) == 1
    runtime = app.extensions["hub"]
    real = runtime.clock
    runtime.clock = lambda: real() + timedelta(days=91)
    try:
        with app.app_context():
            assert send_digests()["pruned"] == 1
    finally:
        runtime.clock = real
    assert len(team.inbox("bob")) == 1 and team.inbox("bob")[0].read_at is None


@pytest.fixture
def chat(api: Any) -> Iterator[Sink]:
    """A team's chat: a webhook instance posting to a real HTTP server, routed to the quality group."""
    with running_sink() as sink:
        response = api.post("/api/v1/admin/instances", json={
            "connector": "webhook", "slug": "line-chat", "enabled": True,
            "config": {"secret": SECRET, "push_url": sink.url}})
        assert response.status_code == 201, response.json
        set_routes(api, [{"instance": "line-chat", "groups": ["quality"]}])
        yield sink


def set_routes(api: Any, routes: list[dict[str, Any]]) -> None:
    response = api.put("/api/v1/admin/plugins/agent-notify/settings", json={"settings": {"webhooks": routes}})
    assert response.status_code == 200, response.json


def test_a_team_webhook_gets_one_signed_post_per_event(app: Flask, team: Any, chat: Sink) -> None:
    from connectors.webhook.signing import verified_signature

    ref = team.incident(group="quality")
    drain(app, until=lambda: len(chat.received) >= 1, what="the post to the team's chat")
    (post,) = chat.received
    stamp, signature = post.headers["X-Hub-Timestamp"], post.headers["X-Hub-Signature-256"]
    assert verified_signature(SECRET, post.raw, stamp, signature) is not None
    assert verified_signature("another-secret-0123456789", post.raw, stamp, signature) is None
    note = post.body["notification"]
    assert post.body["event"] == "notification" and post.body["ticket"]["ref"] == ref
    assert (note["event"], note["group"], note["url"]) == ("new_in_group", "quality", f"http://hub.test/tickets/{ref}")
    assert [person["username"] for person in note["recipients"]] == ["bob", "carol"]
    assert post.headers["Idempotency-Key"] == post.body["delivery"]


def test_webhook_routes_filter_and_people_may_leave_them(app: Flask, team: Any, chat: Sink, api: Any) -> None:
    choose(app, "carol", {"events": {"new_in_group": ["ui"]}})
    team.incident(group="quality")
    drain(app, until=lambda: len(chat.received) >= 1, what="the post")
    assert [person["username"] for person in chat.received[0].body["notification"]["recipients"]] == ["bob"]
    set_routes(api, [{"instance": "line-chat", "groups": ["quality"], "events": ["sla_breached"]}])
    team.incident(group="quality")
    drain(app)
    assert len(chat.received) == 1


def test_a_failed_post_is_retried(app: Flask, team: Any, chat: Sink) -> None:
    chat.fail_next = 1
    team.incident(group="quality")
    drain(app, until=lambda: len(chat.applied) >= 1, what="the retried post")
    assert len(chat.received) == 1 and chat.fail_next == 0


def test_a_route_to_an_instance_that_cannot_push_queues_nothing(app: Flask, team: Any, api: Any) -> None:
    from hub.sdk import hub_services

    api.post("/api/v1/admin/instances", json={"connector": "webhook", "slug": "inbound-only", "enabled": True,
                                               "config": {"secret": SECRET}})
    with app.extensions["hub"].db.transaction() as session:
        assert hub_services.push(session, "inbound-only", action="notification", payload={}) is False
        assert hub_services.push(session, "no-such-instance", action="notification", payload={}) is False


def test_a_team_webhook_cannot_reach_a_metadata_address(app: Flask, team: Any, api: Any) -> None:
    """The post goes through the webhook connector's HTTP client, which refuses link-local
    (cloud metadata) addresses: the delivery ends as a dead letter naming the reason."""
    response = api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "sneaky", "enabled": True,
        "config": {"secret": SECRET, "push_url": "http://169.254.169.254/latest/meta-data/"}})
    assert response.status_code == 201, response.json
    set_routes(api, [{"instance": "sneaky"}])
    team.incident(group="quality")

    def dead() -> list[Any]:
        drain(app)
        return list(api.get("/api/v1/admin/outbox?status=dead").json)

    from tests.support.waiting import wait_until

    (letter,) = wait_until(dead, what="the refused post to be a dead letter")
    assert "link-local" in str(letter)
