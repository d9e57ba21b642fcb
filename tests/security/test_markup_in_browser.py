"""Markup arriving from every channel shows as text in a real browser, and never runs.

Each channel's own connector reads a hostile message (a webhook post over HTTP, a mail
through the email connector's reader, a web form's JSON post, an MQTT alarm through the MQTT
connector's reading, and the REST API),
then an agent opens the ticket page and the requester opens the status page in Chromium.
A script that ran would set ``window.__pwned`` or open a dialog; the markup must be on
the page as visible characters.
"""

from __future__ import annotations

import json
import urllib.request
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from hub.sdk.values import RawEvent
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
SECRET = "markup-feed-" + "k" * 12
SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMAGE = '<img src=x onerror="window.__pwned=1">'
HOSTILE = f"Pump {SCRIPT} {IMAGE}"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook"), ("email", "connectors.email"),
                             ("webform", "connectors.webform"), ("mqtt", "connectors.mqtt")]
    return app_config


def _by_webhook(url: str) -> None:
    body = json.dumps({"id": "m-1", "title": HOSTILE, "description": f"Details: {SCRIPT}",
                       "requester": {"name": IMAGE, "email": "guest@example.org"}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/hooks/feed", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Hub-Token": SECRET})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)


def _by_email(app: Flask) -> None:
    from hub.ingest.pipeline import ingest
    from hub.plugins.instances import build_connector, get_instance

    message = EmailMessage()
    message["From"], message["To"] = f'"{IMAGE}" <guest2@example.org>', "care@hub.test"
    message["Subject"], message["Message-ID"] = HOSTILE, "<markup-1@example.org>"
    message.set_content("Plain part")
    message.add_alternative(f"<html><body><p>Hello</p>{SCRIPT}{IMAGE}</body></html>", subtype="html")
    with app.extensions["hub"].db.transaction() as session:
        instance = get_instance(session, "care")
        connector = build_connector(session, instance)
        result = ingest(session=session, instance=instance, connector=connector,
                        raw=RawEvent(idempotency_key="<markup-1@example.org>", body=bytes(message),
                                     content_type="message/rfc822"))
        assert result.status == "applied", result


def _by_source(app: Flask, slug: str, raw: RawEvent) -> None:
    """Through a connector's own reading of what its source sent."""
    from hub.ingest.pipeline import ingest
    from hub.plugins.instances import build_connector, get_instance

    with app.extensions["hub"].db.transaction() as session:
        instance = get_instance(session, slug)
        connector = build_connector(session, instance)
        result = ingest(session=session, instance=instance, connector=connector, raw=raw)
        assert result.status == "applied", result


def _by_form(url: str) -> None:
    body = json.dumps({"values": {"name": IMAGE, "message": HOSTILE}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/forms/report", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


@pytest.fixture
def hostile_tickets(app: Flask, api: Any) -> list[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="agent", role="agent", password=PASSWORD)
    assert api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "feed", "enabled": True,
        "config": {"auth": "token", "secret": SECRET, "idempotency_field": "id"}}).status_code == 201
    assert api.post("/api/v1/admin/instances", json={
        "connector": "email", "slug": "care", "enabled": True,
        "config": {"host": "127.0.0.1", "username": "care", "password": "x", "security": "plain",
                   "smtp_host": "127.0.0.1", "from_address": "care@hub.test"}}).status_code == 201
    assert api.post("/api/v1/admin/instances", json={
        "connector": "webform", "slug": "report", "enabled": True,
        "config": {"title": "Report", "fields": [
            {"name": "name", "label": "Name", "maps_to": "requester_name"},
            {"name": "message", "label": "Message", "type": "textarea", "maps_to": "description"}]}}
    ).status_code == 201
    assert api.post("/api/v1/admin/instances", json={
        "connector": "mqtt", "slug": "line3", "enabled": True,
        "config": {"broker_url": "mqtt://127.0.0.1:1883", "topics": ["plant/#"]}}).status_code == 201
    created = api.post("/api/v1/incidents", json={"title": HOSTILE, "description": SCRIPT,
                                                  "requester": {"name": IMAGE, "email": "guest3@example.org"}})
    assert created.status_code == 201, created.json
    assert api.post(f"/api/v1/incidents/{created.json['ref']}/comments",
                    json={"body": f"Public answer {SCRIPT}{IMAGE}", "visibility": "public"}).status_code == 201
    return [created.json["ref"]]


def test_markup_from_every_channel_shows_as_text(chromium: Any, app: Flask, api: Any,
                                                 hostile_tickets: list[str]) -> None:
    from hub.app import services

    with live_server(app) as url:
        _by_webhook(url)
        _by_email(app)
        _by_form(url)
        _by_source(app, "line3", RawEvent(idempotency_key="alarm-1", meta={"topic": "plant/hall/line3/filler/alarm"},
                                          payload={"site": "hall", "line": "line3", "machine": IMAGE, "code": "E1",
                                                   "text": HOSTILE, "severity": "major", "state": "raised"}))
        refs = [item["ref"] for item in api.get("/api/v1/incidents").json["items"]]
        assert len(refs) == 5, refs
        with app.extensions["hub"].db.transaction() as session:
            status_links = [services.status_url(session, ref) for ref in refs]
        context = chromium.new_context()
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url + "/login")
        page.get_by_label("Username").fill("agent")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        pages = [f"{url}/tickets"] + [f"{url}/tickets/{ref}" for ref in refs]
        pages += [url + urlsplit(link).path for link in status_links]
        for address in pages:
            page.goto(address)
            page.wait_for_load_state("load")
            assert page.evaluate("window.__pwned === undefined"), f"a script ran on {address}"
            text = page.inner_text("body")
            assert "<script>" in text or "window.__pwned" in text, f"the markup is not shown as text on {address}"
        assert not dialogs, dialogs
        context.close()
