"""Change tasks on the pages: the change page's Tasks card (progress, rows, inline updates,
adding one task per target), the refusal to close early, and each agent's own task list."""

from __future__ import annotations

import html as markup
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from hub.models import ConfigurationItem, Ticket
from tests.hub.ui.conftest import open_ticket


def flashes(page: str) -> list[tuple[str, str]]:
    return [(kind, markup.unescape(text)) for kind, text in re.findall(r'<p class="flash (\w+)">(.*?)</p>', page)]


def _lines(app: Flask) -> None:
    with app.extensions["hub"].db.transaction() as session:
        site = ConfigurationItem(key="plant-a", name="Plant A", kind="site")
        session.add(site)
        session.flush()
        for number in (1, 2, 3):
            session.add(ConfigurationItem(key=f"plant-a/line-{number}", name=f"Line {number}", kind="line",
                                          parent_id=site.id))


def test_tasks_are_added_per_target_updated_inline_and_listed_for_their_agent(app: Flask, as_role: Any) -> None:
    _lines(app)
    agent = as_role("agent", "mia")
    ref = open_ticket(app, kind="change", title="New labels on every line")
    page = agent.text(f"/tickets/{ref}")
    assert 'id="tasks"' in page and "No tasks." in page and '<option value="plant-a">Plant A (plant-a)</option>' in page
    added = agent.post(f"/tickets/{ref}/tasks", {"under": "plant-a", "kind": "line", "assignee": "mia"})
    assert added.status_code == 302, added.get_data(as_text=True)[:500]
    page = agent.text(f"/tickets/{ref}")
    assert ("success", f"Added 3 tasks to {ref}.") in flashes(page)
    assert page.count('data-task="') == 3 and "0 of 3 done" in page
    free = agent.post(f"/tickets/{ref}/tasks", {"targets": "Room 2.14\nLine 1\n"})
    assert free.status_code == 302
    page = agent.text(f"/tickets/{ref}")
    assert ("success", f"Added 1 task to {ref}. 1 target had a task already.") in flashes(page)
    assert "(free text)" in page
    mine = agent.text("/changes/tasks")
    assert mine.count('data-task-id="') == 3 and ref in mine and 'href="/changes/tasks"' in mine
    task_ids = re.findall(r'id="task-(\d+)"', page)
    refused = agent.post(f"/tickets/{ref}/tasks/{task_ids[0]}", {"state": "failed", "outcome_note": ""})
    assert refused.status_code == 302
    assert any("Say why the task failed" in text for kind, text in flashes(agent.text(f"/tickets/{ref}")))
    for task_id in task_ids[:2]:
        done = agent.post(f"/tickets/{ref}/tasks/{task_id}", {"state": "done", "outcome_note": "", "back": "mine"})
        assert done.status_code == 302 and done.headers["Location"].endswith("/changes/tasks")
    failed = agent.post(f"/tickets/{ref}/tasks/{task_ids[2]}", {"state": "failed", "outcome_note": "Printer jam"})
    assert failed.status_code == 302
    page = agent.text(f"/tickets/{ref}")
    assert ("success", f"Task 3 (plant-a/line-3): failed. {ref}: 2 of 4 done, 1 failed.") in flashes(page)
    assert 'role="img" aria-label="3 of 4 tasks with an outcome (75%)"' in page
    assert agent.text("/changes/tasks").count('data-task-id="') == 0
    took = agent.post(f"/tickets/{ref}/tasks/{task_ids[3]}", {"take": "1"})
    assert took.status_code == 302
    assert agent.text("/changes/tasks").count('data-task-id="') == 1
    assert agent.post(f"/tickets/{ref}/tasks/{task_ids[3]}", {"state": "skipped",
                                                             "outcome_note": "Room closed"}).status_code == 302
    page = agent.text(f"/tickets/{ref}")
    assert 'data-suggested-outcome="partially successful"' in page
    assert "Partially successful: 2 of 4 done, 1 failed, 1 skipped.</textarea>" in page


def test_a_change_with_open_tasks_is_not_closed_from_the_page(app: Flask, as_role: Any) -> None:
    _lines(app)
    agent = as_role("agent")
    ref = open_ticket(app, kind="change", title="Firmware", change_type="emergency",
                      targets=["plant-a/line-1", "Line 2"])
    for state in ("submitted", "implementing"):
        assert agent.post(f"/tickets/{ref}/transition", {"to": state}).status_code == 302
    agent.post(f"/tickets/{ref}/transition", {"to": "review"})
    page = agent.text(f"/tickets/{ref}")
    assert any(kind == "error" and "2 tasks without an outcome (0 of 2 done)" in text for kind, text in flashes(page))
    with app.extensions["hub"].db.transaction() as session:
        assert session.scalar(select(Ticket.status).where(Ticket.kind == "change")) == "implementing"
