"""Change tasks in a real browser, at desktop and phone widths (issue 22 point 6, its done-when:
"a change to twelve lines completes task by task"). An agent adds one task per line of a plant
to a firmware change, completes them one by one from the change page (7 of 12 done, 1 failed),
is refused closing while tasks are open, finishes the rest and closes the change.

Screenshots (tasks-<name>-<size>.png) go to $SCREENSHOT_DIR, else the test's tmp dir;
UPDATE_SCREENSHOTS=1 writes the docs' copies (docs/screenshots/tasks-*.png) too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ApiClient, make_token
from tests.support.browser import PASSWORD, WIDTHS, open_tab, screenshot_dir, sign_in
from tests.support.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINES = 12


@pytest.fixture
def hub_url(app: Flask) -> Iterator[str]:
    """An agent, plant A with twelve lines (and a machine on line 1), and a firmware change
    under way as an emergency change (implemented first, approved after the fact)."""
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="maria", role="agent", password=PASSWORD, display_name="Maria Weber")
    api = ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))
    items = [{"key": "plant-a", "name": "Plant A", "kind": "site"}] + [
        {"key": f"plant-a/line-{n:02d}", "name": f"Line {n}", "kind": "line", "parent": "plant-a"}
        for n in range(1, LINES + 1)] + [
        {"key": "plant-a/line-01/filler", "name": "Filler", "kind": "machine", "parent": "plant-a/line-01"}]
    for item in items:
        assert api.post("/api/v1/configuration-items", json=item).status_code == 201
    change = api.post("/api/v1/changes", json={"title": "PLC firmware 4.2 on every line", "type": "emergency",
                                               "risk": "medium", "ci": "plant-a"})
    assert change.status_code == 201, change.json
    for state in ("submitted", "implementing"):
        assert api.post(f"/api/v1/changes/{change.json['ref']}/transitions", json={"to": state}).status_code == 200
    with live_server(app) as url:
        yield url


def summary(tab: Any) -> str:
    return str(tab.locator("[data-task-summary]").inner_text()).strip()


def wait_summary(tab: Any, text: str) -> None:
    tab.wait_for_function("t => (document.querySelector('[data-task-summary]') || {}).innerText?.includes(t)",
                          arg=text)


def complete(tab: Any, position: int, state: str, note: str = "") -> None:
    row = tab.locator(f"tr[data-task='{position}']")
    row.scroll_into_view_if_needed()
    row.locator("select[name=state]").select_option(state)
    if note:
        row.locator("input[name=outcome_note]").fill(note)
    row.get_by_role("button", name=f"Save task {position}").click()
    tab.wait_for_selector(f"tr[data-task='{position}'][data-state='{state}']")


def move(tab: Any, to: str) -> None:
    tab.locator("#to").select_option(to)
    tab.locator("#transition-form").get_by_role("button", name="Move").click()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_a_change_to_twelve_lines_completes_task_by_task(chromium: Any, hub_url: str, tmp_path: Path,
                                                         size: str) -> None:
    with open_tab(chromium, size, prefix="tasks", shots=screenshot_dir(tmp_path),
                  for_docs=("progress-desktop", "closed-desktop", "mine-phone")) as tab:
        sign_in(tab, hub_url, "maria")
        tab.goto(f"{hub_url}/tickets/CHG-000001")
        assert "No tasks." in tab.locator("#tasks").inner_text()

        # One task per line of plant A, assigned to Maria: twelve rows, the machine left out.
        form = tab.locator("#add-tasks-form")
        form.scroll_into_view_if_needed()
        form.get_by_label("Parent item").select_option("plant-a")
        form.get_by_label("Of kind").select_option("line")
        form.get_by_label("Task title").fill("Flash PLC firmware 4.2")
        form.get_by_label("Assignee").fill("maria")
        form.get_by_role("button", name="Add tasks").click()
        wait_summary(tab, f"0 of {LINES} done")
        assert tab.locator(".flash.success").inner_text().strip() == f"Added {LINES} tasks to CHG-000001."
        assert tab.locator("tr[data-task]").count() == LINES
        assert "plant-a/line-01/filler" not in tab.locator("#tasks").inner_text()
        tab.shot("added")

        # Maria's own list has all twelve.
        tab.goto(f"{hub_url}/changes/tasks")
        assert tab.locator("#my-tasks tr[data-task-id]").count() == LINES
        tab.shot("mine")
        tab.goto(f"{hub_url}/tickets/CHG-000001#tasks")

        # Task by task: seven lines done, the eighth fails.
        for position in range(1, 8):
            complete(tab, position, "done")
            wait_summary(tab, f"{position} of {LINES} done")
        complete(tab, 8, "failed", "PLC refused the image: checksum error")
        wait_summary(tab, f"7 of {LINES} done, 1 failed")
        assert summary(tab).startswith(f"7 of {LINES} done, 1 failed")
        assert tab.locator("svg.progress-bar").get_attribute("data-percent") == str(round(100 * 8 / LINES))
        tab.locator("#tasks").scroll_into_view_if_needed()
        tab.shot("progress")

        # Not every task has an outcome: the change cannot move to review.
        move(tab, "review")
        tab.wait_for_selector(".flash.error")
        refusal = tab.locator(".flash.error").inner_text()
        assert f"4 tasks without an outcome (7 of {LINES} done, 1 failed)" in refusal, refusal
        assert "implementing" in tab.locator(".summary").inner_text()
        tab.shot("refused")

        for position in range(9, LINES + 1):
            complete(tab, position, "done")
        wait_summary(tab, f"11 of {LINES} done, 1 failed")
        assert tab.locator("[data-suggested-outcome]").get_attribute("data-suggested-outcome") == \
            "partially successful"
        assert tab.locator("#resolution").input_value() == \
            f"Partially successful: 11 of {LINES} done, 1 failed."

        # Every task has an outcome: review, then closed.
        move(tab, "review")
        tab.wait_for_function("() => document.querySelector('.summary').innerText.includes('review')")
        move(tab, "closed")
        tab.wait_for_function("() => document.querySelector('.summary').innerText.includes('closed')")
        assert tab.locator("#add-tasks-form").count() == 0  # a closed change's tasks are history
        assert "Partially successful" in tab.locator("main").inner_text()
        tab.locator("#tasks").scroll_into_view_if_needed()
        tab.shot("closed")
        tab.goto(f"{hub_url}/changes/tasks")
        assert "Nothing to do" in tab.locator("main").inner_text()
