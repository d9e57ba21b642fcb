"""A change's tasks reach the people who do them: the assignee, else the task's group."""

from __future__ import annotations

from typing import Any


def change(team: Any) -> str:
    response = team.api.post("/api/v1/changes", json={"title": "Firmware 4.2 on every filler", "type": "normal"})
    assert response.status_code == 201, response.json
    return str(response.json["ref"])


def told(team: Any, username: str, ref: str) -> list[tuple[str, str]]:
    """What ``username`` was told of ``ref``, oldest first."""
    return [(row.kind, row.text) for row in reversed(team.inbox(username)) if row.ticket_ref == ref]


def add_tasks(team: Any, ref: str, client: Any = None, **body: Any) -> list[dict[str, Any]]:
    response = (client or team.api).post(f"/api/v1/changes/{ref}/tasks", json=body)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_tasks_assigned_together_are_one_notice(team: Any) -> None:
    ref = change(team)
    add_tasks(team, ref, targets=["Line 1", "Line 2"], assignee="carol", title="Flash firmware 4.2")
    assert told(team, "carol", ref) == [
        ("assigned", f"alice assigned 2 tasks of {ref} to you: #1 Line 1; #2 Line 2 (Flash firmware 4.2)")]
    assert told(team, "bob", ref) == [] and told(team, "dave", ref) == []


def test_reassigning_tasks_tells_the_new_assignee_each_time(team: Any) -> None:
    ref = change(team)
    first, second = add_tasks(team, ref, targets=["Line 1", "Line 2"], assignee="carol", title="Flash")
    for task in (first, second):  # two reassignments at one version of the change: two notices
        moved = team.api.patch(f"/api/v1/changes/{ref}/tasks/{task['id']}", json={"assignee": "dave"})
        assert moved.status_code == 200, moved.json
    assert told(team, "dave", ref) == [
        ("assigned", f"alice assigned a task of {ref} to you: #1 Line 1 (Flash)"),
        ("assigned", f"alice assigned a task of {ref} to you: #2 Line 2 (Flash)")]
    assert len(told(team, "carol", ref)) == 1  # only when they were hers
    team.api.patch(f"/api/v1/changes/{ref}/tasks/{first['id']}", json={"state": "in_progress"})
    assert len(told(team, "dave", ref)) == 2  # other fields tell nobody


def test_a_task_for_a_group_tells_its_agents_until_someone_has_it(team: Any) -> None:
    ref = change(team)
    (task,) = add_tasks(team, ref, client=team.client("bob"), targets=["Room 101"], group="quality",
                        title="Swap the thermostat")
    assert told(team, "carol", ref) == [
        ("new_in_group", f"New in quality: a task of {ref}: #1 Room 101 (Swap the thermostat)")]
    assert told(team, "bob", ref) == []  # nobody hears of their own doing
    assert told(team, "dave", ref) == []  # not in the group
    team.client("carol").patch(f"/api/v1/changes/{ref}/tasks/{task['id']}", json={"assignee": "carol"})
    assert len(told(team, "carol", ref)) == 1  # she took it herself
    team.api.patch(f"/api/v1/changes/{ref}/tasks/{task['id']}", json={"group": None})
    assert len(told(team, "carol", ref)) == 1 and told(team, "bob", ref) == []  # a group change with an assignee


def test_many_tasks_name_the_first_five(team: Any) -> None:
    ref = change(team)
    add_tasks(team, ref, targets=[f"Line {n}" for n in range(1, 9)], assignee="dave", title="Flash")
    ((_kind, text),) = told(team, "dave", ref)
    assert text == (f"alice assigned 8 tasks of {ref} to you: #1 Line 1; #2 Line 2; #3 Line 3; #4 Line 4; "
                    "#5 Line 5 and 3 more (Flash)")


def test_without_the_plugin_nobody_is_told_and_tasks_still_go_out(app: Any, team: Any) -> None:
    from sqlalchemy import select

    from hub.models import Notification

    switched = team.api.patch("/api/v1/admin/plugins/agent-notify", json={"enabled": False})
    assert switched.status_code == 200, switched.json
    ref = change(team)
    add_tasks(team, ref, targets=["Line 1"], assignee="carol")
    with app.extensions["hub"].db.reading() as session:
        assert session.scalars(select(Notification)).all() == []
