"""Admins' pages: plugins, connector instances from generated forms, quarantined events, dead letters, users, tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

ADMIN_PAGES = ("/admin/", "/admin/plugins", "/admin/instances", "/admin/instances/new?connector=webhook",
               "/admin/events", "/admin/outbox", "/admin/users", "/admin/tokens")
SECRET = "s3cret-value-" + "y" * 10


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("email", "connectors.email")]
    return app_config


def add_webhook(admin: Any, slug: str = "alerts", **extra: Any) -> Any:
    data = {"connector": "webhook", "slug": slug, "name": "Monitoring", "enabled": "on",
            "config.auth": "token", "config.secret": SECRET, "config.tolerance": "300", **extra}
    return admin.post("/admin/instances/new", data)


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_are_for_admins_only(app: Flask, as_role: Any, url: str) -> None:
    assert as_role("admin").get(url).status_code == 200
    for role in ("agent", "requester"):
        response = as_role(role).get(url)
        assert response.status_code == 403 and "cannot open this page" in response.get_data(as_text=True)
    assert app.test_client().get(url).status_code == 302


def test_admin_posts_refuse_other_roles_and_missing_csrf(app: Flask, as_role: Any) -> None:
    agent, admin = as_role("agent"), as_role("admin")
    for url in ("/admin/plugins/webhook/enabled", "/admin/instances/new", "/admin/users", "/admin/tokens",
                "/admin/outbox/replay-dead", "/admin/events/1/replay"):
        assert agent.post(url, {"connector": "webhook"}).status_code == 403, url
        assert admin.post(url, {"connector": "webhook"}, csrf=False).status_code == 400, url


def test_the_admin_menu_entry_shows_for_admins_only(app: Flask, as_role: Any) -> None:
    assert 'href="/admin/"' in as_role("admin").text("/tickets")
    assert 'href="/admin/"' not in as_role("agent").text("/tickets")


def test_plugins_are_disabled_and_enabled(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    html = admin.text("/admin/plugins")
    assert 'id="plugin-webhook"' in html and "Connectors: webhook" in html
    assert "hub.builtins" in html and 'aria-label="Disable hub.builtins"' not in html  # core stays on
    admin.post("/admin/plugins/webhook/enabled", {"enabled": "0"})
    assert not app.extensions["hub"].plugins.is_enabled("webhook")
    assert 'aria-label="Enable webhook"' in admin.text("/admin/plugins")
    done = admin.post("/admin/plugins/webhook/enabled", {"enabled": "1"}, follow=True)
    assert "webhook is enabled" in done.get_data(as_text=True)
    assert app.extensions["hub"].plugins.is_enabled("webhook")
    missing = admin.post("/admin/plugins/nope/enabled", {"enabled": "1"}, follow=True)
    assert "No plugin &#39;nope&#39; is installed" in missing.get_data(as_text=True)
    core = admin.post("/admin/plugins/hub.builtins/enabled", {"enabled": "0"}, follow=True)
    assert "cannot be switched off" in core.get_data(as_text=True)


def test_plugin_failures_are_shown(app: Flask, as_role: Any) -> None:
    from hub.models import PluginState

    with app.extensions["hub"].db.transaction() as session:
        session.add(PluginState(name="webhook", enabled=True, failure_count=3, last_failure="KeyError: 'x'",
                                last_failure_hook="ticket_created"))
    html = as_role("admin").text("/admin/plugins")
    assert "KeyError: &#39;x&#39;" in html and "ticket_created" in html


def test_the_instance_form_is_generated_from_the_schema(app: Flask, as_role: Any) -> None:
    html = as_role("admin").text("/admin/instances/new?connector=webhook")
    for name in ("auth", "secret", "signature_header", "tolerance", "kind", "mapping", "push_url", "dedup_key"):
        assert f'name="config.{name}"' in html, name
        assert f'for="config-{name}"' in html
    assert 'type="password" id="config-secret"' in html
    assert re.search(r'<select id="config-auth"[^>]*>', html) and '<option value="token"' in html
    assert 'type="number" id="config-tolerance"' in html and '<textarea id="config-mapping"' in html
    assert "Shared secret" in html and "At least 16 characters" in html
    unknown = as_role("admin").get("/admin/instances/new?connector=nope")
    assert unknown.status_code == 404 and "No connector &#39;nope&#39;" in unknown.get_data(as_text=True)


def test_only_connectors_that_open_tickets_ask_for_a_department(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    assert 'id="department"' in admin.text("/admin/instances/new?connector=webhook")
    assert 'id="department"' in admin.text("/admin/instances/new?connector=email")  # reads a mailbox
    smtp_only = admin.text("/admin/instances/new?connector=smtp")
    assert 'id="department"' not in smtp_only and 'name="config.smtp_host"' in smtp_only


def test_a_bad_config_is_shown_on_the_form_then_a_good_one_is_saved(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    bad = add_webhook(admin, **{"config.secret": "short", "config.tolerance": "5", "config.mapping": "{not json"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "There is a problem" in html
    assert "Not valid JSON" in html and 'aria-invalid="true"' in html
    assert "{not json</textarea>" in html and 'value="alerts"' in html  # what was typed stays
    assert "Type it again" in html
    assert "short" not in re.findall(r'id="config-secret"[^>]*>', html)[0]  # secrets never come back
    bad = add_webhook(admin, **{"config.secret": "short", "config.tolerance": "5"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Shorter than minimum length 16" in html and "Must be greater than or equal" \
        in html
    assert add_webhook(admin, slug="Bad Slug!").status_code == 422
    good = add_webhook(admin)
    assert good.status_code == 302 and good.headers["Location"].endswith("/admin/instances/alerts")
    page = admin.text("/admin/instances/alerts")
    assert "/api/v1/hooks/alerts" in page and SECRET not in page and "stored — leave empty to keep" in page
    assert add_webhook(admin).status_code == 422  # the slug is taken
    assert "exists already" in add_webhook(admin).get_data(as_text=True)


def test_editing_keeps_secrets_left_empty(app: Flask, as_role: Any) -> None:
    from hub.plugins.instances import build_connector, get_instance

    admin = as_role("admin")
    add_webhook(admin)
    saved = admin.post("/admin/instances/alerts", {"name": "Renamed", "enabled": "on", "config.auth": "token",
                                                   "config.secret": "", "config.tolerance": "60"})
    assert saved.status_code == 302
    with app.extensions["hub"].db.reading() as session:
        instance = get_instance(session, "alerts")
        assert instance.name == "Renamed" and instance.config["tolerance"] == 60
        assert build_connector(session, instance).config["secret"] == SECRET
    bad = admin.post("/admin/instances/alerts", {"config.auth": "nope", "config.tolerance": "x"})
    assert bad.status_code == 422 and "Must be one of" in bad.get_data(as_text=True)


def test_test_connection_sync_and_switch(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    add_webhook(admin)
    tested = admin.post("/admin/instances/alerts/test", follow=True).get_data(as_text=True)
    assert "Connection test" in tested
    synced = admin.post("/admin/instances/alerts/sync", follow=True).get_data(as_text=True)
    assert "does not poll" in synced
    admin.post("/admin/instances/alerts/enabled", {"enabled": "0"})
    assert "Enable</button>" in admin.text("/admin/instances/alerts")
    assert admin.get("/admin/instances/nope").status_code == 404


def test_last_runs_show_their_counts(app: Flask, as_role: Any) -> None:
    from hub.models import SyncRun
    from hub.plugins.instances import get_instance

    admin = as_role("admin")
    add_webhook(admin)
    with app.extensions["hub"].db.transaction() as session:
        session.add(SyncRun(instance_id=get_instance(session, "alerts").id, kind="poll", status="done",
                            fetched=12, created=3, updated=4, skipped=5, failed=0))
    html = admin.text("/admin/instances/alerts")
    assert "12 fetched, 3 created, 4 updated, 5 skipped, 0 failed" in html


def test_quarantined_events_are_inspected_and_replayed(app: Flask, as_role: Any) -> None:
    from hub.models import InboundEvent

    admin = as_role("admin")
    add_webhook(admin, **{"config.mapping": '{"title": "summary"}'})
    posted = app.test_client().post("/api/v1/hooks/alerts", json={"id": "e-1", "text": "no summary"},
                                    headers={"X-Hub-Token": SECRET})
    assert posted.status_code in (200, 202), posted.json
    with app.extensions["hub"].db.reading() as session:
        event = session.query(InboundEvent).one()
        event_id, status = event.id, event.status
    assert status == "quarantined"
    listing = admin.text("/admin/events")
    assert f"#{event_id}" in listing
    page = admin.text(f"/admin/events/{event_id}")
    assert "no summary" in page and "Replay event" in page
    # The fix: map the title from the field the sender really uses, then replay.
    admin.post("/admin/instances/alerts", {"name": "Monitoring", "enabled": "on", "config.auth": "token",
                                           "config.mapping": '{"title": "text"}'})
    replayed = admin.post(f"/admin/events/{event_id}/replay", follow=True).get_data(as_text=True)
    assert "replayed: applied" in replayed and "INC-" in replayed
    again = admin.post(f"/admin/events/{event_id}/replay", follow=True).get_data(as_text=True)
    assert "only quarantined" in again
    assert admin.get("/admin/events/999999").status_code == 404
    assert "Unknown status" in admin.text("/admin/events?status=weird")
    assert "No connector instance" in admin.text("/admin/events?instance=nope")


def test_dead_letters_are_inspected_and_replayed(app: Flask, as_role: Any) -> None:
    from hub.models import OutboxMessage

    admin = as_role("admin")
    add_webhook(admin)
    with app.extensions["hub"].db.transaction() as session:
        from hub.plugins.instances import get_instance

        message = OutboxMessage(lane="alerts:1", instance_id=get_instance(session, "alerts").id, action="update",
                                payload={"status": "resolved"}, idempotency_key="k-1", status="dead", attempts=8,
                                last_error="503 Service Unavailable", result={})
        session.add(message)
        session.flush()
        message_id = message.id
    assert "503 Service Unavailable" in admin.text("/admin/outbox")
    page = admin.text(f"/admin/outbox/{message_id}")
    assert "&#34;resolved&#34;" in page or "\"resolved\"" in page
    admin.post(f"/admin/outbox/{message_id}/replay")
    with app.extensions["hub"].db.reading() as session:
        replayed = session.get(OutboxMessage, message_id)
        assert replayed.status == "pending" and replayed.attempts == 0
    again = admin.post(f"/admin/outbox/{message_id}/replay", follow=True).get_data(as_text=True)
    assert "only dead letters are replayed" in again
    assert admin.get("/admin/outbox/999999").status_code == 404
    assert "Unknown status" in admin.text("/admin/outbox?status=weird")
    assert "0 dead letters go out again" in admin.post("/admin/outbox/replay-dead", follow=True).get_data(as_text=True)


def test_a_dead_letter_shows_what_waits_behind_it_and_is_discarded(app: Flask, as_role: Any) -> None:
    from hub.models import OutboxMessage
    from hub.plugins.instances import get_instance

    admin = as_role("admin")
    add_webhook(admin)
    with app.extensions["hub"].db.transaction() as session:
        instance_id = get_instance(session, "alerts").id
        rows = [OutboxMessage(lane="alerts:7", instance_id=instance_id, action="update", payload={"n": n},
                              idempotency_key=f"h-{n}", status="dead" if n == 0 else "pending", attempts=8 if n == 0
                              else 0, last_error="HTTP 500" if n == 0 else None, result={}) for n in range(3)]
        session.add_all(rows)
        session.flush()
        dead_id, held_id = rows[0].id, rows[1].id
    page = admin.text(f"/admin/outbox/{dead_id}")
    assert "2 later updates of this record wait behind it" in page and "Discard" in page
    assert f"dead letter #{dead_id}" in admin.text(f"/admin/outbox/{held_id}")
    pending = admin.text("/admin/outbox?status=pending")
    assert f"Held behind <a href=\"/admin/outbox/{dead_id}\">#{dead_id}</a>" in pending
    done = admin.post(f"/admin/outbox/{dead_id}/discard", follow=True).get_data(as_text=True)
    assert "the updates held behind it go on, in order" in done
    assert "discarded" in admin.text("/admin/outbox?status=discarded")
    again = admin.post(f"/admin/outbox/{dead_id}/discard", follow=True).get_data(as_text=True)
    assert "only dead letters are discarded" in again


def test_users_are_added_deactivated_and_given_passwords(app: Flask, as_role: Any) -> None:
    from tests.hub.ui.conftest import Browser

    admin = as_role("admin")
    bad = admin.post("/admin/users", {"username": "x", "role": "wizard", "password": "short"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "2 to 150" in html and "Must be one of" in html and "short" not in html
    made = admin.post("/admin/users", {"username": "erin", "role": "agent", "password": "correct horse battery",
                                       "email": "erin@hub.test"})
    assert made.status_code == 302
    assert admin.post("/admin/users", {"username": "erin", "role": "agent"}).status_code == 422
    erin = Browser(app, "erin")
    assert erin.get("/tickets").status_code == 200
    from hub.models import User

    with app.extensions["hub"].db.reading() as session:
        erin_id = session.query(User.id).filter_by(username="erin").scalar()
        admin_id = session.query(User.id).filter_by(username="admin1").scalar()
    admin.post(f"/admin/users/{erin_id}/active", {"active": "0"})
    assert erin.get("/tickets").status_code == 302  # signed out at once
    refused = admin.post(f"/admin/users/{admin_id}/active", {"active": "0"}, follow=True).get_data(as_text=True)
    assert "cannot deactivate yourself" in refused
    weak = admin.post(f"/admin/users/{erin_id}/password", {"password": "abc"}, follow=True).get_data(as_text=True)
    assert "error" in weak
    admin.post(f"/admin/users/{erin_id}/active", {"active": "1"})
    admin.post(f"/admin/users/{erin_id}/password", {"password": "a much better passphrase"})


def test_tokens_are_shown_once_and_revoked(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    bad = admin.post("/admin/tokens", {"name": "x", "role": ""})
    assert bad.status_code == 422 and "Give a role or a user" in bad.get_data(as_text=True)
    assert admin.post("/admin/tokens", {"name": "x", "role": "agent", "expires_days": "0"}).status_code == 422
    assert admin.post("/admin/tokens", {"name": "x", "username": "ghost"}).status_code == 422
    made = admin.post("/admin/tokens", {"name": "monitoring", "role": "connector", "expires_days": "30"})
    assert made.status_code == 201
    secret = re.search(r'id="new-token" class="code" readonly value="([^"]+)"', made.get_data(as_text=True)).group(1)
    assert secret.startswith("hub_")
    assert app.test_client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 200
    assert secret not in admin.text("/admin/tokens")
    from hub.models import ApiToken

    with app.extensions["hub"].db.reading() as session:
        token_id = session.query(ApiToken.id).filter_by(name="monitoring").scalar()
    admin.post(f"/admin/tokens/{token_id}/revoke")
    assert app.test_client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 401
    assert "No token" in admin.post("/admin/tokens/99999/revoke", follow=True).get_data(as_text=True)


def test_every_admin_form_carries_csrf_and_every_input_a_label(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    add_webhook(admin)
    for url in (*ADMIN_PAGES, "/admin/instances/alerts"):
        html = admin.text(url)
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S):
            assert 'name="csrf_token"' in form, url
        for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{input_id}"' in html, (url, input_id)
        assert "<script>" not in html and "style=" not in html


@pytest.mark.parametrize(("title", "said"), [
    ("Email (IMAP and SMTP)", "an Email (IMAP and SMTP)"),
    ("Outbound mail (SMTP only)", "an Outbound mail (SMTP only)"),
    ("MQTT (manufacturing lines)", "an MQTT (manufacturing lines)"),
    ("OPC UA Alarms & Conditions", "an OPC UA Alarms & Conditions"),
    ("Webhook", "a Webhook"), ("ServiceNow", "a ServiceNow"), ("Jira Service Management", "a Jira Service Management"),
])
def test_a_connector_is_named_with_the_article_it_is_said_with(title: str, said: str) -> None:
    from hub.ui.forms import with_article

    assert with_article(title) == said


def test_the_add_links_say_an_before_a_vowel(as_role: Any) -> None:
    page = as_role("admin").get("/admin/instances").get_data(as_text=True)
    assert 'aria-label="Add a Webhook instance"' in page
    new = as_role("admin").get("/admin/instances/new?connector=webhook").get_data(as_text=True)
    assert "<h1>Add a Webhook instance</h1>" in new
