"""Change tasks: one change rolled out to many lines, one task per line, each with its own
assignee, state and outcome; the change closes only when every task has one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.changes.conftest import Estate


def _twelve_lines(estate: Estate) -> list[str]:
    keys = []
    for number in range(1, 13):
        key = f"plant-c/line-{number:02d}"
        if number == 1:
            assert estate.api.post("/api/v1/configuration-items", json={
                "key": "plant-c", "name": "Plant C", "kind": "site"}).status_code == 201
        made = estate.api.post("/api/v1/configuration-items", json={
            "key": key, "name": f"Line C{number}", "kind": "line", "parent": "plant-c"})
        assert made.status_code == 201, made.json
        keys.append(key)
    # A machine under a line: "all lines of plant C" must not pick it up.
    assert estate.api.post("/api/v1/configuration-items", json={
        "key": "plant-c/line-01/labeller", "name": "Labeller", "kind": "machine",
        "parent": "plant-c/line-01"}).status_code == 201
    return keys


def _implementing(estate: Estate, ref: str) -> None:
    estate.to_assessment(ref)
    for who in ("carol", "dave"):
        assert estate.decide(who, ref).status_code == 201
    for state in ("scheduled", "implementing"):
        moved = estate.client("bob").post(f"/api/v1/changes/{ref}/transitions", json={"to": state})
        assert moved.status_code == 200, moved.json


def _tasks(estate: Estate, ref: str) -> dict[str, Any]:
    listed = estate.client("bob").get(f"/api/v1/changes/{ref}/tasks")
    assert listed.status_code == 200, listed.json
    return dict(listed.json)


def test_a_change_to_twelve_lines_completes_task_by_task_and_closes_at_the_end(estate: Estate) -> None:
    keys = _twelve_lines(estate)
    ref = estate.change("bob", ci="plant-c", title="Firmware 4.2 on every line of plant C")
    bob = estate.client("bob")
    made = bob.post(f"/api/v1/changes/{ref}/tasks", json={"under": "plant-c", "kind": "line",
                                                           "assignee": "carol", "title": "Flash firmware 4.2"})
    assert made.status_code == 201, made.json
    assert [task["ci"] for task in made.json] == keys
    assert [task["position"] for task in made.json] == list(range(1, 13))
    assert {(t["assignee"], t["state"], t["title"]) for t in made.json} == {("carol", "open", "Flash firmware 4.2")}
    # The same lines again: nothing new (a form sent twice).
    again = bob.post(f"/api/v1/changes/{ref}/tasks", json={"targets": [*keys[:3], "Line C4"]})
    assert again.status_code == 201 and again.json == []
    _implementing(estate, ref)
    ids = [task["id"] for task in made.json]
    carol = estate.client("carol")
    for number, task_id in enumerate(ids[:7], start=1):
        step = carol.patch(f"/api/v1/changes/{ref}/tasks/{task_id}", json={"state": "in_progress"})
        assert step.status_code == 200 and step.json["started_at"], step.json
        done = carol.patch(f"/api/v1/changes/{ref}/tasks/{task_id}", json={"state": "done",
                                                                            "outcome_note": f"Line {number} ok"})
        assert done.status_code == 200 and done.json["has_outcome"] and done.json["finished_at"]
    no_reason = carol.patch(f"/api/v1/changes/{ref}/tasks/{ids[7]}", json={"state": "failed"})
    assert no_reason.status_code == 422 and "outcome_note" in no_reason.json["errors"]
    failed = carol.patch(f"/api/v1/changes/{ref}/tasks/{ids[7]}", json={"state": "failed",
                                                                         "outcome_note": "PLC refused the image"})
    assert failed.status_code == 200
    progress = _tasks(estate, ref)["progress"]
    assert progress["summary"] == "7 of 12 done, 1 failed"
    assert (progress["total"], progress["finished"], progress["pending"]) == (12, 8, 4)
    assert progress["suggested_outcome"] is None
    # Not finished: review and close are refused with a problem naming what is left.
    refused = bob.post(f"/api/v1/changes/{ref}/transitions", json={"to": "review"})
    assert refused.status_code == 409, refused.json
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "4 tasks without an outcome" in refused.json["detail"] and "review" not in refused.json["allowed"]
    for task_id in ids[8:11]:
        assert carol.patch(f"/api/v1/changes/{ref}/tasks/{task_id}", json={"state": "done"}).status_code == 200
    assert carol.patch(f"/api/v1/changes/{ref}/tasks/{ids[11]}", json={
        "state": "skipped", "outcome_note": "Line 12 is down for overhaul"}).status_code == 200
    progress = _tasks(estate, ref)["progress"]
    assert progress["summary"] == "10 of 12 done, 1 failed, 1 skipped"
    assert progress["suggested_outcome"] == "partially successful" and progress["percent"] == 100
    for state in ("review", "closed"):
        moved = bob.post(f"/api/v1/changes/{ref}/transitions", json={"to": state})
        assert moved.status_code == 200, moved.json
    # Closed: the tasks are history now.
    late = carol.patch(f"/api/v1/changes/{ref}/tasks/{ids[7]}", json={"state": "done"})
    assert late.status_code == 409 and late.json["type"].endswith("conflict")
    actions = [event["action"] for event in estate.api.get(f"/api/v1/changes/{ref}/audit").json]
    assert actions.count("tasks_added") == 1 and actions.count("task_updated") == 7 * 2 + 1 + 3 + 1


def test_single_tasks_free_text_targets_and_the_agents_own_list(estate: Estate) -> None:
    ref = estate.change("bob", title="Repaint the meeting rooms")
    bob = estate.client("bob")
    line = bob.post(f"/api/v1/changes/{ref}/tasks", json={"target": "Line 3", "assignee": "dave"})
    assert line.status_code == 201 and line.json[0]["ci"] == "plant-a/line-3"  # found by its name
    room = bob.post(f"/api/v1/changes/{ref}/tasks", json={"target": "Room 2.14", "group": "cab"})
    assert room.status_code == 201, room.json
    assert (room.json[0]["ci"], room.json[0]["target"], room.json[0]["group"]) == (None, "Room 2.14", "cab")
    twice = bob.post(f"/api/v1/changes/{ref}/tasks", json={"target": "room 2.14"})
    assert twice.status_code == 409
    mine = estate.client("dave").get("/api/v1/change-tasks")
    assert mine.status_code == 200 and [(t["change"], t["target"]) for t in mine.json] == [(ref, "plant-a/line-3")]
    assert mine.json[0]["change_title"] == "Repaint the meeting rooms"
    assert estate.client("carol").get("/api/v1/change-tasks").json == []
    assert bob.get("/api/v1/change-tasks?assignee=dave").json[0]["id"] == line.json[0]["id"]
    assert bob.get("/api/v1/change-tasks?assignee=nobody").status_code == 422
    moved = bob.patch(f"/api/v1/changes/{ref}/tasks/{room.json[0]['id']}", json={"assignee": "dave", "group": None})
    assert moved.status_code == 200 and (moved.json["assignee"], moved.json["group"]) == ("dave", None)
    assert len(estate.client("dave").get("/api/v1/change-tasks").json) == 2


@pytest.mark.parametrize(("body", "field"), [
    ({}, "_schema"), ({"target": "x", "targets": ["y"]}, "_schema"), ({"targets": []}, "targets"),
    ({"target": "x", "assignee": "nobody"}, "assignee"), ({"under": "nowhere"}, "under"),
    ({"targets": ["x"], "kind": "line"}, "kind"), ({"target": "x", "surprise": 1}, "surprise"),
])
def test_bad_task_requests_are_problems(estate: Estate, body: dict[str, Any], field: str) -> None:
    ref = estate.change("bob")
    refused = estate.client("bob").post(f"/api/v1/changes/{ref}/tasks", json=body)
    assert refused.status_code == 422, refused.json
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert field in refused.json["errors"], refused.json


def test_tasks_belong_to_changes_and_staff(estate: Estate, anonymous: Any, app: Any) -> None:
    from tests.conftest import ApiClient, make_token

    ref = estate.change("bob")
    task = estate.client("bob").post(f"/api/v1/changes/{ref}/tasks", json={"target": "Line 4"}).json[0]
    other = estate.change("bob", title="Another change")
    assert estate.client("bob").get(f"/api/v1/changes/{other}/tasks/{task['id']}").status_code == 404
    assert estate.client("bob").patch(f"/api/v1/changes/{ref}/tasks/{task['id']}",
                                      json={"state": "sideways"}).status_code == 422
    incident = estate.api.post("/api/v1/incidents", json={"title": "Conveyor stopped"}).json["ref"]
    assert estate.client("bob").get(f"/api/v1/changes/{incident}/tasks").status_code == 404
    assert anonymous.get(f"/api/v1/changes/{ref}/tasks").status_code == 401
    requester = ApiClient(app.test_client(), make_token(app, "requester", "rita", "rita@hub.test"))
    assert requester.get(f"/api/v1/changes/{ref}/tasks").status_code == 403
    assert requester.get("/api/v1/change-tasks").status_code == 403
    assert requester.post(f"/api/v1/changes/{ref}/tasks", json={"target": "x"}).status_code == 403


def test_a_failed_change_cancels_the_tasks_left(estate: Estate) -> None:
    ref = estate.change("bob")
    bob = estate.client("bob")
    made = bob.post(f"/api/v1/changes/{ref}/tasks", json={"targets": ["Line 3", "Line 4"]}).json
    _implementing(estate, ref)
    assert bob.patch(f"/api/v1/changes/{ref}/tasks/{made[0]['id']}", json={"state": "done"}).status_code == 200
    assert bob.post(f"/api/v1/changes/{ref}/transitions", json={"to": "backed_out"}).status_code == 200
    tasks = _tasks(estate, ref)["tasks"]
    assert [(t["state"], t["outcome_note"]) for t in tasks] == [
        ("done", None), ("cancelled", "The change was backed out.")]


@pytest.mark.parametrize(("counts", "summary", "suggested"), [
    ({}, "No tasks", None),
    ({"open": 2, "done": 1}, "1 of 3 done", None),
    ({"done": 3}, "3 of 3 done", "successful"),
    ({"done": 2, "skipped": 1}, "2 of 3 done, 1 skipped", "successful"),
    ({"done": 1, "failed": 1, "cancelled": 1}, "1 of 3 done, 1 failed, 1 cancelled", "partially successful"),
    ({"failed": 2, "skipped": 1}, "0 of 3 done, 2 failed, 1 skipped", "failed"),
    ({"in_progress": 1, "failed": 1}, "0 of 2 done, 1 failed, 1 in progress", None),
])
def test_the_progress_says_how_far_and_suggests_an_outcome(counts: dict[str, int], summary: str,
                                                           suggested: str | None) -> None:
    from hub.tracker.change_task_progress import TaskProgress

    progress = TaskProgress(counts)
    assert (progress.summary, progress.suggested_outcome) == (summary, suggested)
    assert progress.as_dict()["pending"] == counts.get("open", 0) + counts.get("in_progress", 0)


def test_a_name_two_items_share_is_free_text_and_a_repeated_target_counts_once(estate: Estate) -> None:
    for key in ("plant-a/line-3/pump", "plant-a/line-4/pump"):
        assert estate.api.post("/api/v1/configuration-items", json={"key": key, "name": "Pump",
                                                                     "kind": "machine"}).status_code == 201
    ref = estate.change("bob")
    made = estate.client("bob").post(f"/api/v1/changes/{ref}/tasks", json={
        "targets": ["Pump", "plant-a/line-3", "PLANT-A/LINE-3", "Line 3", "  Hall   7 "]})
    assert made.status_code == 201, made.json
    assert [(t["target"], t["ci"]) for t in made.json] == [
        ("Pump", None), ("plant-a/line-3", "plant-a/line-3"), ("Hall 7", None)]
