"""The organisation's admin services: create, update, delete (refused in use), merge, members,
the item hierarchy without loops, and an item's history. Runs on SQLite, and on PostgreSQL
when HUB_TEST_DATABASE_URL is set (the whole suite's database follows it)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.auth.users import create_user
from hub.models import AuditEvent, Category, ConfigurationItem, OrgChange, Ticket, User
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker import catalog, ci_items, group_members, org_usage
from hub.tracker.ci_history import ci_history
from hub.tracker.org import id_for
from hub.tracker.tickets import create_ticket

ADMIN = Actor(type="user", name="ada", origin="test", id="1")


def ticket(session: Any, title: str, *, kind: str = "incident", key: str | None = None, seen: int = 1,
           **ids: Any) -> Ticket:
    values: dict[str, Any] = {"title": title}
    if kind == "change":
        values["change_type"] = "normal"
    made = create_ticket(session=session, kind=kind, values=values, actor=Actor.system())
    for column, value in ids.items():
        setattr(made, column, value)
    made.correlation_key, made.occurrence_count = key, seen
    session.flush()
    return made


def plant(session: Any) -> dict[str, ConfigurationItem]:
    """A site with a line of three machines."""
    items = {"site": ci_items.create_ci(session=session, key="plant-a", name="Plant A", kind="site", actor=ADMIN)}
    items["line"] = ci_items.create_ci(session=session, key="plant-a/line-3", name="Line 3", kind="line",
                                       parent="plant-a", criticality="high", actor=ADMIN)
    for name in ("filler", "capper", "labeller"):
        items[name] = ci_items.create_ci(session=session, key=f"plant-a/line-3/{name}", name=name.title(),
                                         kind="machine", parent="plant-a/line-3", actor=ADMIN)
    return items


def test_departments_are_created_renamed_and_logged(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        care = catalog.create_department(session=session, slug="care", name="Customer care", actor=ADMIN)
        assert id_for(session, "department", "care") == care.id  # now cached
        done = catalog.update_department(session=session, department=care,
                                         changes={"slug": "service", "name": "Customer service"}, actor=ADMIN)
        assert done == {"slug": ["care", "service"], "name": ["Customer care", "Customer service"]}
        assert id_for(session, "department", "care") is None  # the rename dropped the cached name
        assert catalog.update_department(session=session, department=care, changes={"name": "Customer service"}) == {}
        actions = [row.action for row in session.scalars(select(OrgChange).order_by(OrgChange.id))]
        assert actions == ["created", "updated"]


def test_bad_input_is_a_field_error_for_each_field(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        with pytest.raises(ValidationFailed) as caught:
            catalog.create_department(session=session, slug="Not A Slug", name=" ", email="nope")
        assert set(caught.value.errors) == {"slug", "name", "email"}
        with pytest.raises(ValidationFailed) as caught:
            ci_items.create_ci(session=session, key="x", name="X", kind="spaceship", criticality="extreme",
                               parent="nowhere", owner="ghost", department="none")
        assert set(caught.value.errors) == {"kind", "criticality", "parent", "owner", "department"}
        catalog.create_department(session=session, slug="care", name="Care")
        with pytest.raises(Conflict, match="exists already"):
            catalog.create_department(session=session, slug="care", name="Care again")


def test_categories_are_unique_within_their_department(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        catalog.create_department(session=session, slug="care", name="Care")
        first = catalog.create_category(session=session, slug="noise", name="Noise", department="care")
        loose = catalog.create_category(session=session, slug="noise", name="Noise")
        with pytest.raises(Conflict, match="in department 'care'"):
            catalog.create_category(session=session, slug="noise", name="Noise", department="care")
        with pytest.raises(Conflict, match="in department 'care'"):
            catalog.update_category(session=session, category=loose, changes={"department": "care"})
        with pytest.raises(Conflict, match="in no department"):
            catalog.update_category(session=session, category=first, changes={"department": ""})


def test_group_members_are_agents_added_and_removed(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        for username, role in (("maria", "agent"), ("omar", "agent"), ("rita", "requester")):
            create_user(session=session, username=username, role=role)
        group = catalog.create_group(session=session, slug="line-3", name="Line 3 maintenance", members=["maria"])
        assert group_members.add_member(session=session, group=group, username="omar", actor=ADMIN)
        assert not group_members.add_member(session=session, group=group, username="omar")  # already in
        with pytest.raises(ValidationFailed) as caught:
            group_members.add_member(session=session, group=group, username="rita")
        assert caught.value.errors == {"username": ["rita is a requester; only agents and admins join groups."]}
        with pytest.raises(ValidationFailed):
            catalog.create_group(session=session, slug="other", name="Other", members=["rita", "ghost"])
        assert [u.username for u in group_members.members_of(session, group)] == ["maria", "omar"]
        assert group_members.remove_member(session=session, group=group, username="maria", actor=ADMIN)
        assert not group_members.remove_member(session=session, group=group, username="maria")
        assert catalog.present(session, group)["members"] == ["omar"]


def test_the_hierarchy_refuses_loops(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        items = plant(session)
        with pytest.raises(Conflict, match="cannot be its own parent"):
            ci_items.update_ci(session=session, item=items["line"], changes={"parent": "plant-a/line-3"})
        with pytest.raises(Conflict, match="it is inside plant-a") as caught:
            ci_items.update_ci(session=session, item=items["site"], changes={"parent": "plant-a/line-3/filler"})
        assert caught.value.extra == {"field": "parent"}
        moved = ci_items.update_ci(session=session, item=items["filler"], changes={"parent": "plant-a"}, actor=ADMIN)
        assert moved == {"parent": ["plant-a/line-3", "plant-a"]}


def test_the_tree_draws_each_item_under_its_parent(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        items = plant(session)
        ci_items.create_ci(session=session, key="hq", name="Head office", kind="building")
        ticket(session, "Filler jams", ci_id=items["filler"].id)
        rows = [(row.item.key, row.depth, row.open_tickets, row.children) for row in ci_items.ci_tree(session)]
    assert rows == [("hq", 0, 0, 0), ("plant-a", 0, 0, 1), ("plant-a/line-3", 1, 0, 3),
                    ("plant-a/line-3/capper", 2, 0, 0), ("plant-a/line-3/filler", 2, 1, 0),
                    ("plant-a/line-3/labeller", 2, 0, 0)]


def test_an_item_in_use_is_not_deleted_and_the_reason_is_told(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        items = plant(session)
        ticket(session, "Filler jams", ci_id=items["filler"].id)
        old = ticket(session, "Filler jammed last week", ci_id=items["filler"].id)
        old.status = "closed"
        with pytest.raises(Conflict) as caught:
            org_usage.delete_item(session=session, item_type="ci", item=items["filler"], actor=ADMIN)
        assert caught.value.detail == ("Configuration item 'plant-a/line-3/filler' is in use: 1 open ticket, "
                                       "1 resolved or closed ticket. Merge it into another configuration item, "
                                       "or move these first.")
        assert caught.value.extra == {"in_use": {"open_tickets": 1, "finished_tickets": 1}}
        with pytest.raises(Conflict, match="3 items below it"):
            org_usage.delete_item(session=session, item_type="ci", item=items["line"])
        org_usage.delete_item(session=session, item_type="ci", item=items["capper"], actor=ADMIN)
        assert id_for(session, "ci", "plant-a/line-3/capper") is None


def test_a_department_in_use_lists_everything_that_uses_it(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        care = catalog.create_department(session=session, slug="care", name="Care")
        catalog.create_group(session=session, slug="desk", name="Desk", department="care")
        catalog.create_category(session=session, slug="noise", name="Noise", department="care")
        ci_items.create_ci(session=session, key="room-1", name="Room 1", kind="room", department="care")
        create_user(session=session, username="maria", role="agent").department_id = care.id
        ticket(session, "Noisy room", department_id=care.id)
        usage = org_usage.usage_of(session, "department", care)
        assert usage.sentence() == "1 open ticket, 1 group, 1 category, 1 configuration item, 1 user"


def test_merging_a_machine_moves_its_tickets_with_an_audit_row_each(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        items = plant(session)
        moved_ids = [ticket(session, f"Capper fault {n}", ci_id=items["capper"].id).id for n in range(3)]
        versions = {t.id: t.version for t in session.scalars(select(Ticket).where(Ticket.id.in_(moved_ids)))}
        with pytest.raises(ValidationFailed, match="Some fields"):
            org_usage.merge_item(session=session, item_type="ci", item=items["line"], into=items["filler"])
        moved = org_usage.merge_item(session=session, item_type="ci", item=items["capper"], into=items["filler"],
                                     actor=ADMIN)
        assert moved == {"tickets": 3}
        session.expire_all()
        for row in session.scalars(select(Ticket).where(Ticket.id.in_(moved_ids))):
            assert row.ci_id == items["filler"].id and row.version == versions[row.id] + 1
        audits = list(session.scalars(select(AuditEvent).where(AuditEvent.ticket_id.in_(moved_ids),
                                                               AuditEvent.action == "updated")))
        assert len(audits) == 3
        assert audits[0].changes == {"ci": ["plant-a/line-3/capper", "plant-a/line-3/filler"]}
        assert audits[0].actor_name == "ada" and "merged into" in (audits[0].note or "")
        assert session.get(ConfigurationItem, items["capper"].id) is None
        log = [(row.item_name, row.action) for row in session.scalars(
            select(OrgChange).where(OrgChange.action.in_(("merged", "absorbed"))).order_by(OrgChange.id))]
        assert log == [("plant-a/line-3/capper", "merged"), ("plant-a/line-3/filler", "absorbed")]


def test_merging_a_line_moves_its_machines(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        items = plant(session)
        other = ci_items.create_ci(session=session, key="plant-a/line-4", name="Line 4", kind="line",
                                   parent="plant-a")
        assert org_usage.merge_item(session=session, item_type="ci", item=items["line"], into=other) == {
            "children": 3}
        session.expire_all()
        assert {row.parent_id for row in session.scalars(
            select(ConfigurationItem).where(ConfigurationItem.kind == "machine"))} == {other.id}


def test_merging_departments_moves_everything_and_joins_twin_categories(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        old = catalog.create_department(session=session, slug="facilities", name="Facilities")
        new = catalog.create_department(session=session, slug="buildings", name="Buildings")
        noise_old = catalog.create_category(session=session, slug="noise", name="Noise", department="facilities")
        catalog.create_category(session=session, slug="heating", name="Heating", department="facilities")
        noise_new = catalog.create_category(session=session, slug="noise", name="Noise", department="buildings")
        catalog.create_group(session=session, slug="caretakers", name="Caretakers", department="facilities")
        noisy = ticket(session, "Noise in room 4", department_id=old.id, category_id=noise_old.id)
        moved = org_usage.merge_item(session=session, item_type="department", item=old, into=new, actor=ADMIN)
        assert moved == {"tickets": 1, "groups": 1, "categories": 2}
        session.expire_all()
        row = session.get(Ticket, noisy.id)
        assert (row.department_id, row.category_id) == (new.id, noise_new.id)
        assert sorted(session.scalars(select(Category.slug).where(Category.department_id == new.id))) == [
            "heating", "noise"]
        with pytest.raises(NotFound):
            catalog.get_department(session, "facilities")


def test_merging_groups_joins_their_members(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        for username in ("maria", "omar"):
            create_user(session=session, username=username, role="agent")
        night = catalog.create_group(session=session, slug="night", name="Night", members=["maria", "omar"])
        day = catalog.create_group(session=session, slug="day", name="Day", members=["maria"])
        ticket(session, "Fault at night", group_id=night.id)
        usage = org_usage.usage_of(session, "group", night)
        assert usage.sentence() == "1 open ticket, 2 members" and usage.blocking == {"open_tickets": 1}
        assert org_usage.merge_item(session=session, item_type="group", item=night, into=day) == {
            "tickets": 1, "members": 1}
        assert catalog.present(session, day)["members"] == ["maria", "omar"]
        empty = catalog.create_group(session=session, slug="empty", name="Empty", members=["omar"])
        org_usage.delete_item(session=session, item_type="group", item=empty)  # members alone do not block
        assert session.scalar(select(User).where(User.username == "omar")) is not None


def test_the_history_lists_tickets_newest_first_and_counts_recurring_faults(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        items = plant(session)
        ticket(session, "Filler E101", ci_id=items["filler"].id, key="plant-a/filler/E101", seen=4)
        ticket(session, "Filler E101 again", ci_id=items["filler"].id, key="plant-a/filler/E101", seen=2)
        ticket(session, "Filler E7 once", ci_id=items["filler"].id, key="plant-a/filler/E7")
        ticket(session, "Replace the filler valve", kind="change", ci_id=items["filler"].id)
        ticket(session, "Line 3 stopped", ci_id=items["line"].id)
        ci_items.update_ci(session=session, item=items["filler"], changes={"criticality": "critical"}, actor=ADMIN)
        history = ci_history(session, items["filler"])
        assert [t.title for t, _key in history.tickets] == [
            "Replace the filler valve", "Filler E7 once", "Filler E101 again", "Filler E101"]
        assert history.totals == {"tickets": 4, "incidents": 3, "changes": 1, "problems": 0, "open": 4,
                                  "occurrences": 8}
        assert [(r.key, r.tickets, r.occurrences) for r in history.recurring] == [("plant-a/filler/E101", 2, 6)]
        assert [row.action for row in history.log] == ["updated", "created"]
        assert [item.key for item in history.path] == ["plant-a", "plant-a/line-3", "plant-a/line-3/filler"]
        line = ci_history(session, items["line"], below=True, limit=2)
        assert line.items_covered == 4 and line.totals["tickets"] == 5 and len(line.tickets) == 2
        assert ci_history(session, items["line"]).totals["tickets"] == 1
