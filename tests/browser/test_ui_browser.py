"""The pages in a real browser (Debian's Chromium through Playwright), as a new admin and agent use them.

Set UPDATE_SCREENSHOTS=1 to write the screenshots under docs/screenshots/ again.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
SECRET = "pump-alarms-" + "k" * 12
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 10_000


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="admin", role="admin", password=PASSWORD, display_name="Ada Admin")
        create_user(session=session, username="agent", role="agent", password=PASSWORD)
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    # HTTP statuses the tests provoke (401, 403) are logged too; what matters is CSP and script errors.
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"the browser console reported errors (CSP or script): {errors}"


def shot(page: Any, name: str) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"ui-{name}.png"), full_page=True)


def sign_in(page: Any, url: str, username: str = "admin") -> None:
    page.goto(url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/tickets$"))


def flash_says(page: Any, text: str) -> None:
    """The page's message says ``text``: after a reload, or once the ticket page's forms
    (which save in place, hub.js) have swapped in the answer; an older message does not count."""
    from playwright.sync_api import expect

    expect(page.locator(".flashes")).to_contain_text(text, timeout=WAIT_MS)


def test_signing_in_with_a_wrong_password_then_the_right_one(page: Any, hub_url: str) -> None:
    page.goto(hub_url + "/tickets")
    assert "/login" in page.url
    shot(page, "login")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    assert "Wrong username or password." in page.locator(".error-summary").inner_text()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/tickets$"))
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").count() == 0
    page.goto(hub_url + "/admin/plugins")
    assert "cannot open this page" in page.content()


def _post_event(hub_url: str, body: dict[str, Any], slug: str = "pump-alarms") -> dict[str, Any]:
    request = urllib.request.Request(f"{hub_url}/api/v1/hooks/{slug}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Hub-Token": SECRET})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201, 202)
        return dict(json.loads(response.read()))


def test_done_when_journey_from_plugin_to_resolution(page: Any, hub_url: str, app: Flask) -> None:
    """Log in, enable a plugin, add a webhook instance, post an event, find the ticket, resolve it."""
    from hub.models import PluginState

    with app.extensions["hub"].db.transaction() as session:
        session.add(PluginState(name="webhook", enabled=False))
    sign_in(page, hub_url)
    shot(page, "tickets-empty")

    # Enable the webhook plugin.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    shot(page, "admin")
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Plugins").click()
    page.get_by_role("button", name="Enable webhook").click()
    flash_says(page, "webhook is enabled")
    shot(page, "plugins")

    # Add a webhook instance: a bad config first, then a good one.
    page.get_by_role("link", name="Connector instances").click()
    page.get_by_role("link", name="Add a Webhook instance").click()
    page.get_by_label("Slug").fill("pump-alarms")
    page.get_by_label("Name", exact=True).fill("Pump alarms")
    page.get_by_label("Authentication").select_option("token")
    page.get_by_label("Shared secret").fill("too-short")
    page.get_by_label("Field mapping").fill('{"title": "summary", "external_id": "id"')
    page.get_by_role("button", name="Add instance").click()
    summary = page.locator(".error-summary").inner_text()
    assert "There is a problem" in summary and "Not valid JSON" in summary
    page.get_by_label("Field mapping").fill('{"title": "summary", "description": "details", "external_id": "id"}')
    page.get_by_label("Shared secret").fill("too-short")  # secrets are never echoed back: typed again
    page.get_by_role("button", name="Add instance").click()
    assert "Shorter than minimum length 16" in page.locator(".error-summary").inner_text()
    shot(page, "instance-form-errors")
    page.get_by_label("Shared secret").fill(SECRET)
    page.get_by_label("Enabled").check()
    page.get_by_role("button", name="Add instance").click()
    page.wait_for_url(re.compile(r".*/admin/instances/pump-alarms$"))
    flash_says(page, "Added pump-alarms")
    assert "/api/v1/hooks/pump-alarms" in page.content() and SECRET not in page.content()
    page.get_by_role("button", name="Test connection").click()
    flash_says(page, "Connection test")
    shot(page, "instance")

    # A monitoring system posts an alarm over HTTP.
    answer = _post_event(hub_url, {"id": "alarm-77", "summary": "Cooling pump 3 pressure low",
                                   "details": "Pressure 1.1 bar, threshold 1.5 bar."})
    ref = answer["ticket"] if isinstance(answer.get("ticket"), str) else answer["results"][0]["ticket"]

    # Find it and work it to resolution.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    page.get_by_label("Search").fill("Cooling pump")
    page.get_by_label("Search").press("Enter")
    page.get_by_role("link", name=ref).click()
    page.wait_for_url(re.compile(rf".*/tickets/{ref}$"))
    assert "Received: opened this" in page.locator(".timeline").inner_text()
    page.get_by_label("Move to").select_option("acknowledged")
    page.get_by_role("button", name="Move").click()
    flash_says(page, f"{ref} is now acknowledged")
    page.get_by_role("button", name="Assign to me").click()
    flash_says(page, f"Assigned {ref} to admin")
    page.get_by_label("Text").fill("Replacing the seal on pump 3.")
    page.get_by_label("Public (the requester sees it)").check()
    page.get_by_role("button", name="Add comment").click()
    flash_says(page, "Public comment added")
    page.get_by_label("Move to").select_option("resolved")
    page.get_by_label("Resolution").fill("Seal replaced; pressure back to 1.8 bar.")
    page.get_by_role("button", name="Move").click()
    flash_says(page, f"{ref} is now resolved")
    timeline = page.locator(".timeline").inner_text()
    steps = ["Received: opened this", "Status: new → acknowledged", "Assignee: — → admin",
             "Replacing the seal on pump 3.", "Status: acknowledged → resolved", "Seal replaced; pressure back"]
    positions = [timeline.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), (steps, timeline)
    shot(page, "ticket")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    _post_event(hub_url, {"id": "alarm-78", "summary": "Conveyor 2 motor overheating", "details": "92 °C."})
    _post_event(hub_url, {"id": "alarm-79", "summary": "Label printer offline", "details": "No heartbeat."})
    page.reload()
    assert page.locator("tr[data-row]").count() == 3
    shot(page, "tickets")


def test_keyboard_shortcuts_move_through_the_list(page: Any, hub_url: str, app: Flask) -> None:
    from tests.hub.ui.conftest import open_ticket

    refs = [open_ticket(app, title=f"Keyboard ticket {n}") for n in range(3)]
    sign_in(page, hub_url, "agent")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("j")
    page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == refs[1]  # newest first: refs[2], then refs[1]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/tickets/{refs[1]}$"))
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "comment-body"
    page.set_viewport_size({"width": 800, "height": 1100})
    shot(page, "ticket-tablet")


def test_replaying_a_dead_letter(page: Any, hub_url: str, app: Flask) -> None:
    from hub.models import OutboxMessage
    from hub.plugins.instances import create_instance

    with app.extensions["hub"].db.transaction() as session:
        instance = create_instance(session=session, connector="webhook", slug="shop", enabled=True,
                                   config={"auth": "token", "secret": SECRET, "push_url": "https://shop.example/h"})
        message = OutboxMessage(lane=f"instance:{instance.id}", instance_id=instance.id, action="status_changed",
                                payload={"status": "resolved"}, idempotency_key="dead-1", status="dead", attempts=8,
                                last_error="503 Service Unavailable (after 8 attempts)", result={})
        session.add(message)
        session.flush()
        message_id = message.id
    sign_in(page, hub_url)
    page.goto(hub_url + "/admin/outbox")
    assert "503 Service Unavailable" in page.locator("table").inner_text()
    shot(page, "dead-letters")
    page.get_by_role("link", name=f"#{message_id}").click()
    page.get_by_role("button", name="Replay").click()
    flash_says(page, "goes out again")
    with app.extensions["hub"].db.reading() as session:
        assert session.get(OutboxMessage, message_id).status in ("pending", "delivered", "dead")
        assert session.get(OutboxMessage, message_id).attempts <= 1
