"""Settings that name what no longer exists, in Chromium at a desktop and a phone width: the
Admin page warns, the routing page warns and takes a default group, and a rule naming an
unknown group is refused beside its input. Every page passes the layout checks
(tests/browser/test_layout_browser.py: no sideways scrolling).

Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from tests.support.browser import PASSWORD, WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]



@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("routing", "plugins.routing")]
    return app_config


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    """An admin, two groups, a rule sending boiler reports to one of them, which then vanishes."""
    from hub.auth.users import create_user
    from hub.ingest.pipeline import open_ticket
    from hub.models import Group
    from hub.sdk.actors import Actor
    from hub.sdk.hub_services import update_settings
    from hub.tracker.catalog import create_group
    from hub.tracker.org import forget

    runtime = app.extensions["hub"]
    with runtime.db.transaction() as session:
        create_user(session=session, username="ada", role="admin", password=PASSWORD, display_name="Ada Admin")
        for slug in ("nightshift", "ops", "day"):
            create_group(session=session, slug=slug, name=slug.title())
        update_settings(session, "routing", {"rules": [
            {"name": "night-shift", "when": {"keywords": ["boiler"]}, "set": {"group": "nightshift"}}],
            "default_group": "ops"})
    with runtime.db.transaction() as session:
        session.execute(delete(Group).where(Group.slug == "nightshift"))
        forget(session)
    with runtime.db.transaction() as session:
        for title in ("Boiler pressure low", "Boiler noise"):
            open_ticket(session=session, kind="incident", values={"title": title}, source="api",
                        actor=Actor(type="system", name="test", origin="test"))
    with live_server(app) as url:
        yield url


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, chromium: Any, tmp_path: Path) -> Iterator[Any]:
    with open_tab(chromium, request.param, prefix="refs", shots=screenshot_dir(tmp_path)) as tab:
        yield tab


def test_an_admin_sees_the_missing_group_and_sets_the_default(page: Any, hub_url: str) -> None:
    sign_in(page, hub_url, "ada")

    page.goto(hub_url + "/admin/")
    warning = page.locator("#missing-references")
    assert ("Routing rule night-shift names group 'nightshift', which no longer exists; 2 tickets went to the "
            "default group since") in warning.inner_text()
    page.shot("overview")

    page.goto(hub_url + "/admin/routing/")
    assert "2 tickets went to the default group" in page.locator("#missing-references").inner_text()
    page.get_by_label("When the group a rule names no longer exists, the ticket goes to").select_option("day")
    page.get_by_role("button", name="Save the default group").click()
    assert "go to day" in page.locator(".flash.success").first.inner_text()
    page.shot("routing")

    page.get_by_role("link", name="Edit the rule night-shift").click()
    page.locator("#set-group").fill("graveyard")
    page.get_by_role("button", name=re.compile("Save")).first.click()
    field = page.locator(".field").filter(has=page.locator("#set-group"))
    assert "No group 'graveyard'." in field.inner_text()
    page.shot("rule-error")
