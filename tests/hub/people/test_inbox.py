"""The core's side of telling people (hub.tracker.inbox through hub.sdk.hub_services): who they
are, what they chose, what they were told; each person's rows are theirs alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from hub.sdk import hub_services
from hub.sdk.tracker_errors import NotFound, ValidationFailed


@pytest.fixture
def people(app: Flask, api: Any) -> Any:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        for name, role in (("bob", "agent"), ("carol", "agent"), ("gina", "requester"), ("olga", "agent")):
            create_user(session=session, username=name, role=role, email=f"{name}@hub.test")
    api.post("/api/v1/groups", json={"slug": "desk", "name": "Desk"})
    for name in ("bob", "olga"):
        api.put(f"/api/v1/groups/desk/members/{name}")
    from hub.auth.users import get_user

    with app.extensions["hub"].db.transaction() as session:
        get_user(session, "olga").active = False  # left the company: in the group still, told nothing
    return app.extensions["hub"].db


def test_people_by_name_group_and_role(people: Any) -> None:
    with people.reading() as session:
        assert [p.username for p in hub_services.people(session, group="desk")] == ["bob"]  # olga is inactive
        assert [p.username for p in hub_services.people(session, usernames=["bob", "gina", "nobody"],
                                                         roles=("agent", "admin"))] == ["bob"]
        assert [p.username for p in hub_services.people(session, roles=("admin",))] == ["alice"]
        assert hub_services.people(session, usernames=[]) == []
        (bob,) = hub_services.people(session, usernames=["bob"])
        assert (bob.email, bob.role, bob.timezone, bob.preferences) == ("bob@hub.test", "agent", "UTC", {})


def test_preferences_are_kept_by_plugin(people: Any) -> None:
    with people.transaction() as session:
        hub_services.set_preferences(session, "bob", "agent-notify", {"email": "hourly"})
        hub_services.set_preferences(session, "bob", "other", {"x": 1})
    with people.transaction() as session:
        assert hub_services.preferences(session, "bob", "agent-notify") == {"email": "hourly"}
        assert hub_services.preferences(session, "carol", "agent-notify") == {}
        hub_services.set_preferences(session, "bob", "other", {"x": 2})
    with people.reading() as session:
        assert hub_services.people(session, usernames=["bob"])[0].preferences == {
            "agent-notify": {"email": "hourly"}, "other": {"x": 2}}
        with pytest.raises(NotFound):
            hub_services.preferences(session, "nobody", "agent-notify")
    with people.transaction() as session, pytest.raises(ValidationFailed):
        hub_services.set_preferences(session, "bob", "other", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_notifications_list_count_and_read(people: Any, api: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "Printer jammed"}).json["ref"]
    with people.transaction() as session:
        first = hub_services.notify_user(session, "bob", kind="assigned", text="  Printer\n jammed  ", ref=ref,
                                         actor="alice")
        second = hub_services.notify_user(session, "bob", kind="note", text="x" * 1500)
        hub_services.notify_user(session, "bob", kind="quiet", text="mail only", listed=False, digest=True)
        hub_services.notify_user(session, "carol", kind="assigned", text="Yours")
    with people.transaction() as session:
        rows = hub_services.notifications(session, "bob")
        assert [row.id for row in rows] == [second, first]  # newest first, listed only
        assert (rows[1].text, rows[1].ticket_ref, rows[1].actor) == ("Printer jammed", ref, "alice")
        assert len(rows[0].text) == 1000 and rows[0].text.endswith("…") and rows[0].ticket_ref is None
        assert hub_services.unread_notifications(session, "bob") == 2
        assert hub_services.unread_notifications(session, "nobody") == 0
        carols = hub_services.notifications(session, "carol")[0].id
        assert hub_services.mark_notifications_read(session, "bob", [carols]) == 0  # not bob's
        assert hub_services.mark_notifications_read(session, "bob", []) == 0
        assert hub_services.mark_notifications_read(session, "bob", [first]) == 1
        assert hub_services.mark_notifications_read(session, "bob", [first]) == 0
        assert [row.id for row in hub_services.notifications(session, "bob", unread_only=True)] == [second]
        assert [row.id for row in hub_services.notifications(session, "bob", before=second)] == [first]
        assert hub_services.mark_notifications_read(session, "bob") == 1
    with people.reading() as session:
        assert hub_services.unread_notifications(session, "carol") == 1


@pytest.mark.parametrize(("kind", "text", "ref", "error"), [
    ("", "text", None, ValidationFailed), ("k" * 65, "text", None, ValidationFailed),
    ("note", "   ", None, ValidationFailed), ("note", "text", "INC-999999", NotFound)])
def test_bad_notifications_are_refused(people: Any, kind: str, text: str, ref: str | None, error: type) -> None:
    with people.transaction() as session, pytest.raises(error):
        hub_services.notify_user(session, "bob", kind=kind, text=text, ref=ref)


def test_digests_are_taken_once_and_read_rows_pruned(people: Any, app: Flask) -> None:
    with people.transaction() as session:
        hub_services.notify_user(session, "bob", kind="a", text="one", digest=True)
        hub_services.notify_user(session, "bob", kind="b", text="two", listed=False, digest=True)
        hub_services.notify_user(session, "carol", kind="a", text="three", digest=True)
        hub_services.notify_user(session, "carol", kind="a", text="not for the digest")
    with people.transaction() as session:
        taken = {person.username: [row.text for row in rows] for person, rows in hub_services.take_digests(session)}
        assert taken == {"bob": ["one", "two"], "carol": ["three"]}
    with people.transaction() as session:
        assert hub_services.take_digests(session) == []
        # The mail-only row is done with (read); the listed ones wait for their person.
        assert [row.text for row in hub_services.notifications(session, "bob")] == ["one"]
        later = app.extensions["hub"].now() + timedelta(seconds=1)
        assert hub_services.prune_notifications(session, read_before=later) == 1
        assert hub_services.mark_notifications_read(session, "carol") == 2
        assert hub_services.prune_notifications(session, read_before=later - timedelta(days=1)) == 0
        assert hub_services.prune_notifications(session, read_before=later + timedelta(days=1)) == 2
    with people.reading() as session:
        assert [row.text for row in hub_services.notifications(session, "bob")] == ["one"]


def test_page_links_use_the_base_url(people: Any) -> None:
    with people.reading() as session:
        base = hub_services.page_url(session, "/")
        assert hub_services.page_url(session, "/tickets/INC-000001") == base + "tickets/INC-000001"
        assert hub_services.page_url(session, "notifications") == base + "notifications"
