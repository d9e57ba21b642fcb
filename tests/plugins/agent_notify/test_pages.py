"""The pages an agent uses: the menu's unread count, /notifications (newest first, open, mark
read, mark all read, pages of 30) and /notifications/settings; each person sees only their own."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.hub.ui.conftest import Browser


def menu_count(html: str) -> str | None:
    found = re.search(r'href="/notifications"[^>]*>Notifications <span class="count">(\d+)', html)
    return found.group(1) if found else None


def items(html: str) -> list[tuple[str, str]]:
    """(state, text) of each notification on the page, in order."""
    return re.findall(r'<li class="(read|unread)" id="n\d+">\s*<a class="what" href="[^"]+">([^<]+)</a>', html)


def ids(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'<li class="(?:read|unread)" id="n(\d+)">', html)]


def test_the_menu_counts_the_unread_and_the_list_shows_them_newest_first(app: Flask, team: Any) -> None:
    bob = Browser(app, "bob")
    assert menu_count(bob.text("/tickets")) is None
    first = team.incident(group="quality")
    second = team.incident(group="quality", title="Label printer offline")
    page = bob.text("/notifications")
    assert menu_count(page) == "2" and "2 unread" in page
    assert items(page) == [("unread", f"New in quality: {second} Label printer offline"),
                           ("unread", f"New in quality: {first} Filler on line 3 stops every hour")]
    assert "<time datetime=" in page and "by alice" in page

    newest, oldest = ids(page)
    marked = bob.post(f"/notifications/{oldest}/read", {"unread": "1"})
    assert marked.status_code == 302 and marked.headers["Location"].endswith("/notifications?unread=1")
    page = bob.text("/notifications?unread=1")
    assert [state for state, _ in items(page)] == ["unread"] and menu_count(page) == "1"
    assert [state for state, _ in items(bob.text("/notifications"))] == ["unread", "read"]

    opened = bob.get(f"/notifications/{newest}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tickets/{second}")
    page = bob.text("/notifications")
    assert menu_count(page) is None and "0 unread" in page and "Mark all read" not in page
    assert menu_count(Browser(app, "carol").text("/tickets")) == "2"  # carol's are hers


def test_mark_all_read(app: Flask, team: Any) -> None:
    for number in range(3):
        team.incident(group="quality", title=f"Alarm {number}")
    carol = Browser(app, "carol")
    done = carol.post("/notifications/read-all", follow=True)
    assert "Marked 3 as read." in done.get_data(as_text=True)
    assert menu_count(carol.text("/tickets")) is None
    assert "Nothing was unread." in carol.post("/notifications/read-all", follow=True).get_data(as_text=True)
    assert menu_count(Browser(app, "bob").text("/tickets")) == "3"


def test_nobody_reads_or_opens_anothers(app: Flask, team: Any) -> None:
    team.incident(group="quality")
    bob, dave = Browser(app, "bob"), Browser(app, "dave")
    (mine,) = ids(bob.text("/notifications"))
    assert dave.get(f"/notifications/{mine}/open").status_code == 404
    dave.post(f"/notifications/{mine}/read")
    assert menu_count(bob.text("/tickets")) == "1"


def test_older_pages(app: Flask, team: Any) -> None:
    for number in range(32):
        team.incident(group="quality", title=f"Alarm {number}")
    bob = Browser(app, "bob")
    first = bob.text("/notifications")
    assert len(items(first)) == 30 and items(first)[0][1].endswith("Alarm 31")
    older = re.search(r'href="(/notifications\?before=\d+)">Older</a>', first)
    assert older
    second = bob.text(older.group(1).replace("&amp;", "&"))
    assert [text.rsplit(" ", 1)[-1] for _, text in items(second)] == ["1", "0"] and "Older</a>" not in second
    assert "Newest</a>" in second


@pytest.mark.parametrize("query", ["before=abc", "before=-1", "before=99999999999999999999"])
def test_a_bad_page_number_is_a_readable_error(app: Flask, team: Any, query: str) -> None:
    response = Browser(app, "bob").get(f"/notifications?{query}")
    assert response.status_code == 400 and "notification" in response.get_data(as_text=True)


def test_choosing_what_to_get(app: Flask, team: Any) -> None:
    bob = Browser(app, "bob")
    page = bob.text("/notifications/settings")
    assert 'name="new_in_group:ui" checked' in page and 'name="new_in_group:email" checked' in page
    assert 'name="sla_warning:email">' in page  # mail is off for warnings until one asks
    assert "Team webhook" not in page  # no team webhook is set up
    assert 'id="email-instant" name="email" value="instant" checked' in page
    saved = bob.post("/notifications/settings", {"assigned:email": "on", "mentioned:ui": "on", "email": "hourly"},
                     follow=True)
    assert "Saved what you hear of, and how." in saved.get_data(as_text=True)
    page = bob.text("/notifications/settings")
    assert 'name="new_in_group:ui">' in page and 'name="assigned:email" checked' in page
    assert 'id="email-hourly" name="email" value="hourly" checked' in page
    team.incident(group="quality")
    assert team.inbox("bob") == [] and len(team.inbox("carol")) == 1
    bob.post("/notifications/settings", {"email": "every minute", "bogus:ui": "on", "new_in_group:pager": "on"})
    assert 'id="email-instant" name="email" value="instant" checked' in bob.text("/notifications/settings")


def test_the_webhook_column_shows_once_a_team_webhook_is_set_up(app: Flask, team: Any, api: Any) -> None:
    api.put("/api/v1/admin/plugins/agent-notify/settings", json={"settings": {"webhooks": [
        {"instance": "line-chat", "groups": ["quality"]}]}})
    assert 'name="sla_breached:webhook" checked' in Browser(app, "bob").text("/notifications/settings")


def test_only_agents_and_admins_and_only_while_enabled(app: Flask, team: Any, api: Any) -> None:
    from tests.plugins.agent_notify.conftest import add_person

    add_person(app, "gina", role="requester")
    assert Browser(app, "gina").get("/notifications").status_code == 403
    assert app.test_client().get("/notifications").status_code == 302  # to the sign-in page
    assert "Notifications" in Browser(app, "bob").text("/tickets")
    assert api.patch("/api/v1/admin/plugins/agent-notify", json={"enabled": False}).status_code == 200
    bob = Browser(app, "bob")
    assert bob.get("/notifications").status_code == 404
    assert 'href="/notifications"' not in bob.text("/tickets")
    team.incident(group="quality")
    assert team.inbox("bob") == []  # switched off, nobody is told
