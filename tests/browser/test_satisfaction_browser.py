"""Issue 24's "done when" for points 3 and 4, in Chromium at a desktop and a phone width.

Ana writes three times: by mail (a real IMAP mailbox polled by the email connector), through
the web form (the webform connector's page), and as the requester of a ticket in Request
Tracker (the RT double the RT connector's tests use, over real HTTP). Maria, her owner,
sees one customer with three tickets, not at risk. Maria resolves the mailed ticket; the
resolution mail (caught by a real SMTP sink) carries five rating links; Ana opens the one
for 1 in her own browser, confirms it with one press, and it is recorded. Maria's customer
page now shows Ana at risk with the reason, her notifications say so, and she clears the
flag with a note.

The admin raised the complaints rule to 4 tickets first (as an admin may): with the default
of 3, Ana's three tickets alone would flag her, and this test is about the rating.
Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import ConnectorInstance
from tests.browser.test_ui_browser import PASSWORD
from tests.connectors.email.conftest import instance_config
from tests.connectors.webform.conftest import post_page
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.support.browser import WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.jobs import drain
from tests.support.live import live_server
from tests.support.mail_fixtures import *  # noqa: F403
from tests.support.services import need_redis

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.imap]

FORM = {"title": "Tell us what went wrong", "kind": "incident", "fields": [
    {"name": "name", "label": "Your name", "type": "text", "required": True, "maps_to": "requester_name"},
    {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "requester_email"},
    {"name": "message", "label": "What happened?", "type": "textarea", "required": True, "maps_to": "description"},
]}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    prefix = f"sat{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, OUTBOX_BACKOFF_SECONDS=0.01,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=10, BASE_URL="http://hub.test",
                      PLUGINS=[("email", "connectors.email"), ("notify", "plugins.notify"),
                               ("agent-notify", "plugins.agent_notify"), ("webform", "connectors.webform"),
                               ("rt", "connectors.rt")])
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def ana_writes_three_times(app: Flask, api: Any, mailbox: Any, smtp_sink: Any, rt_server: Any) -> str:  # noqa: F811
    """Her mail, her web form and her RT ticket; returns the mailed ticket's reference."""
    for body in ({"connector": "email", "slug": "care", "enabled": True,
                  "config": instance_config(mailbox, smtp_sink)},
                 {"connector": "webform", "slug": "feedback", "enabled": True, "config": FORM},
                 {"connector": "rt", "slug": "rt", "enabled": True, "poll_interval": 3600,
                  "config": {"url": rt_server.url, "token": "rt-token", "rt_user": "hub"}}):
        made = api.post("/api/v1/admin/instances", json=body)
        assert made.status_code == 201, made.get_data(as_text=True)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Ana Ruiz <ana@example.org>", "care@hub.test", "Cabin 4 is cold"
    mail["Message-ID"] = "<ana-1@example.org>"
    mail.set_content("The heating in cabin 4 does not work.")
    mailbox.append(mail.as_bytes())
    assert api.post("/api/v1/admin/instances/care/sync").status_code in (200, 202)
    drain(app)
    sent = post_page(app.test_client(), "feedback", {"name": "Ana Ruiz", "email": "ana@example.org",
                                                    "message": "Still cold in cabin 4, and no answer."})
    assert sent.status_code in (200, 201, 303), sent.get_data(as_text=True)
    rt_server.fake.create_ticket("General", "Heating complaint forwarded by reception",
                                 requestor=["ana@example.org"], content="Guest in cabin 4")
    with app.extensions["hub"].db.reading() as session:
        instance = session.scalar(select(ConnectorInstance.id).where(ConnectorInstance.slug == "rt"))
    assert run_poll(app.extensions["hub"], instance)["status"] == "ok"
    drain(app)
    items = api.get("/api/v1/incidents?limit=10").json["items"]
    assert len(items) == 3, items
    (mailed,) = [item["ref"] for item in items if item["title"] == "Cabin 4 is cold"]
    return str(mailed)


@pytest.fixture
def hub(app: Flask, api: Any, mailbox: Any, smtp_sink: Any, rt_server: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber",
                    email="maria@hub.test")
    raised = api.put("/api/v1/admin/plugins/hub.customer-risk/settings", json={"settings": {"complaints": 4}})
    assert raised.status_code == 200, raised.get_data(as_text=True)
    mailed = ana_writes_three_times(app, api, mailbox, smtp_sink, rt_server)
    customer = api.get("/api/v1/customers?q=ana").json["items"][0]["id"]
    assert api.patch(f"/api/v1/customers/{customer}", json={"owner": "maria"}).status_code == 200
    with live_server(app) as url:
        yield {"url": url, "mailed": mailed, "customer": customer}


@pytest.mark.parametrize("size", list(WIDTHS))
def test_one_click_rating_flags_the_customer_and_tells_the_owner(chromium: Any, app: Flask, api: Any,
                                                                  hub: dict[str, Any], smtp_sink: Any,
                                                                  tmp_path: Path, size: str) -> None:
    from playwright.sync_api import expect

    url, mailed = hub["url"], hub["mailed"]
    shots = screenshot_dir(tmp_path)
    with open_tab(chromium, size, prefix="satisfaction", shots=shots) as agent:
        sign_in(agent, url, "maria")
        agent.goto(f"{url}/customers")
        agent.get_by_role("link", name="Ana Ruiz").click()
        expect(agent.locator("h1")).to_contain_text("Ana Ruiz")
        expect(agent.locator("#customer-tickets tbody tr")).to_have_count(3)
        assert {"email", "webform", "rt"} <= set(agent.locator("#customer-tickets tbody").inner_text().split())
        expect(agent.locator("#at-risk")).to_have_count(0)
        agent.shot("customer-three-channels")

        # Maria resolves the mailed ticket; the mail goes out through the mailbox's SMTP.
        resolved = api.post(f"/api/v1/incidents/{mailed}/transitions", json={"to": "resolved",
                                                                           "resolution": "Thermostat replaced."})
        assert resolved.status_code == 200, resolved.get_data(as_text=True)
        drain(app)
        (mail,) = [m.message for m in smtp_sink.messages if "Resolved" in str(m.message["Subject"])]
        text = mail.get_content()
        links = dict(re.findall(r" ([1-5]): http://hub\.test(/rate/[\w.-]+)", text))
        assert sorted(links) == ["1", "2", "3", "4", "5"], text

        # A mail scanner fetches every link without running the page's script: nothing is recorded.
        with open_tab(chromium, size, prefix="satisfaction", shots=shots, java_script_enabled=False) as scanner:
            scanner.goto(url + links["2"])
            expect(scanner.locator('input[name="score"][value="2"]')).to_be_checked()
            scanner.shot("rate-confirm")
        assert api.get(f"/api/v1/incidents/{mailed}").json["csat_score"] is None

        with open_tab(chromium, size, prefix="satisfaction", shots=shots) as ana:  # her own browser, no account
            ana.goto(url + links["1"])  # one click in the mail records the score as the page opens
            expect(ana.locator("#rated")).to_contain_text("You rated this 1 out of 5")
            ana.shot("rate-recorded")
            ana.get_by_label("Anything you want to tell us? (optional)").fill("Three days without heating.")
            ana.get_by_role("button", name="Send", exact=True).click()
            expect(ana.locator("#comment-recorded")).to_contain_text("Three days without heating.")
            ana.goto(url + links["5"])  # a second click, of another score: recorded already, kept
            expect(ana.locator("#rated")).to_contain_text("Your rating was recorded already.")
            expect(ana.locator("#rated")).to_contain_text("You rated this 1 out of 5")

        agent.reload()
        expect(agent.locator("#at-risk-badge")).to_be_visible()
        expect(agent.locator("#risk-reasons")).to_contain_text(f"Rated {mailed} 1 of 5")
        agent.shot("customer-at-risk")
        agent.goto(f"{url}/notifications")
        expect(agent.locator("ul.notifications")).to_contain_text(f"Ana Ruiz is at risk: Rated {mailed} 1 of 5")
        agent.goto(f"{url}/customers?at_risk=1")
        expect(agent.locator("tbody tr")).to_have_count(1)
        agent.get_by_role("link", name="Ana Ruiz").click()
        agent.get_by_label("Why is the customer no longer at risk?").fill("Called her: heating fixed, voucher sent.")
        agent.get_by_role("button", name="Clear the flag").click()
        expect(agent.locator("#at-risk")).to_have_count(0)
