"""Issue 21's done-when: a guest's complaint through the web form, routed to a group of two
agents, reaches both of them by mail (a real SMTP server, through the ``smtp`` connector)
and in the hub, and the guest gets their acknowledgement as before."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.connectors.webform.conftest import GUEST_FEEDBACK, post_page
from tests.hub.ui.conftest import Browser
from tests.plugins.agent_notify.conftest import add_person
from tests.support.jobs import drain


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("agent-notify", "plugins.agent_notify"), ("routing", "plugins.routing"),
                             ("notify", "plugins.notify"), ("webform", "connectors.webform"),
                             ("email", "connectors.email")]
    return app_config


def test_a_web_form_complaint_reaches_both_agents_of_its_group(app: Flask, api: Any, smtp_sink: Any) -> None:
    for path, body in (("/api/v1/departments", {"slug": "guest-care", "name": "Guest care"}),
                       ("/api/v1/groups", {"slug": "front-desk", "name": "Front desk", "department": "guest-care"}),
                       *(("/api/v1/categories", {"slug": slug, "name": slug.title()})
                         for slug in ("housekeeping", "food", "maintenance")),
                       ("/api/v1/admin/instances", {"connector": "webform", "slug": "guest-feedback",
                                                    "enabled": True, "config": GUEST_FEEDBACK}),
                       ("/api/v1/admin/instances", {"connector": "smtp", "slug": "relay", "enabled": True, "config": {
                           "smtp_host": smtp_sink.host, "smtp_port": smtp_sink.port, "smtp_security": "plain",
                           "from_address": "care@hub.test", "from_name": "Guest care"}})):
        response = api.post(path, json=body)
        assert response.status_code == 201, (path, response.json)
    for name in ("bob", "carol"):
        add_person(app, name)
        assert api.put(f"/api/v1/groups/front-desk/members/{name}").status_code == 200
    add_person(app, "dave")  # an agent of another team: not told
    routed = api.put("/api/v1/admin/plugins/routing/settings", json={"settings": {"rules": [
        {"name": "guest-feedback", "when": {"sources": ["guest-feedback"]},
         "set": {"group": "front-desk", "department": "guest-care"}}]}})
    assert routed.status_code == 200, routed.json

    sent = post_page(app.test_client(), "guest-feedback", {
        "name": "Gina Guest", "email": "gina@example.org", "room": "214", "category": "housekeeping",
        "message": "The shower in room 214 runs cold since this morning."})
    assert sent.status_code in (200, 201, 303), sent.get_data(as_text=True)[:500]
    ref = re.search(r"INC-\d{6}", sent.get_data(as_text=True) + sent.headers.get("Location", ""))
    assert ref, "the guest sees their reference"

    drain(app, until=lambda: len(smtp_sink.messages) >= 3, what="the guest's and both agents' mail")
    drain(app)
    by_address = {message.rcpt_tos: message.message for message in smtp_sink.messages}
    assert set(by_address) == {("gina@example.org",), ("bob@hub.test",), ("carol@hub.test",)}
    for address in ("bob@hub.test", "carol@hub.test"):
        mail = by_address[(address,)]
        assert mail["Subject"].startswith(f"New in front-desk: {ref.group(0)} ")
        assert f"http://hub.test/tickets/{ref.group(0)}" in mail.get_content()
    assert f"[{ref.group(0)}]" in by_address[("gina@example.org",)]["Subject"]  # her acknowledgement

    for name in ("bob", "carol"):
        page = Browser(app, name).text("/notifications")
        assert re.search(r'>Notifications <span class="count">1<', page), f"{name}'s menu counts it"
        assert f"New in front-desk: {ref.group(0)}" in page
    assert 'class="count"' not in Browser(app, "dave").text("/notifications")
