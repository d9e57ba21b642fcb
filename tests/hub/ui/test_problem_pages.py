"""Problems on the pages (issue 22 point 2): their list and menu entry, opening one from a list
selection or by hand, its root cause and workaround, and a known error's card on incidents."""

from __future__ import annotations

import html as markup
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.models import ConfigurationItem, Ticket
from tests.hub.ui.conftest import open_ticket


def flashes(page: str) -> list[tuple[str, str]]:
    return [(kind, markup.unescape(text)) for kind, text in re.findall(r'<p class="flash (\w+)">(.*?)</p>', page)]


@pytest.fixture
def filler(app: Flask) -> str:
    with app.extensions["hub"].db.transaction() as session:
        session.add(ConfigurationItem(key="filler-3", name="Filler 3", kind="machine"))
    return "filler-3"


def alarm(app: Flask, title: str, *, ci: str, key: str) -> str:
    ref = open_ticket(app, title=title, ci=ci)
    with app.extensions["hub"].db.transaction() as session:
        session.scalar(select(Ticket).where(Ticket.ref == ref)).correlation_key = key
    return ref


def test_the_problems_list_has_its_menu_entry_and_create_button(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    page = agent.text("/tickets/problems")
    assert '<a href="/tickets/problems"' in agent.text("/tickets")  # the menu
    assert 'href="/tickets/problems/new"' in page and "New problem" in page
    made = agent.post("/tickets/problems/new", {"title": "Boilers trip on low pressure", "incident_key": "boiler/lp",
                                                "workaround": "Refill, then reset."})
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]
    assert made.headers["Location"].endswith("/tickets/PRB-000001")
    listed = agent.text("/tickets/problems")
    assert "PRB-000001" in listed and "Boilers trip on low pressure" in listed
    actions = listed.split('id="bulk-action"')[1].split("</select>")[0]
    assert 'value="merge"' not in actions and 'value="problem"' not in actions
    assert "PRB-000001" in agent.text("/tickets?kind=problem") and "PRB-000001" in agent.text("/tickets?q=Boilers")
    page = agent.text("/tickets/PRB-000001")
    assert 'id="workaround"' in page and "Refill, then reset." in page and "<code>boiler/lp</code>" in page
    assert "Not found yet" in page  # no root cause yet
    refused = agent.post("/tickets/problems/new", {"title": ""})
    assert refused.status_code == 422


def test_a_problem_opened_from_a_list_selection(app: Flask, as_role: Any, filler: str) -> None:
    refs = [alarm(app, f"Filler 3 jams ({n})", ci=filler, key="line3/filler3/E42") for n in (1, 2)]
    agent = as_role("agent")
    listed = agent.text("/tickets")
    assert re.findall(r'<option value="(\w+)">', listed.split('id="bulk-action"')[1].split("</select>")[0]) == [
        "assign", "move", "tag", "merge", "problem", "major"]
    made = agent.post("/tickets/bulk", {"action": "problem", "refs": refs, "problem_title": "Filler 3 jams",
                                        "back": "/tickets"})
    assert made.status_code == 303 and made.headers["Location"].endswith("/tickets/PRB-000001")
    page = agent.text("/tickets/PRB-000001")
    assert ("success", "Opened PRB-000001 from 2 incidents; each is linked to it.") in flashes(page)
    assert page.count("Problem behind</span>") == 2 and all(ref in page for ref in refs)
    assert "Symptom of</span>" in agent.text(f"/tickets/{refs[0]}")

    change = open_ticket(app, "change", title="New star wheel")
    wrong = agent.post("/tickets/bulk", {"action": "problem", "refs": [refs[0], change], "back": "/tickets"},
                       follow=True)
    assert any("Not an incident" in text and change in text for kind, text in flashes(wrong.get_data(as_text=True)))
    assert agent.post("/tickets/bulk", {"action": "problem", "back": "/tickets"}, follow=True).status_code == 200


def test_a_known_errors_workaround_shows_on_each_new_matching_incident(app: Flask, as_role: Any,
                                                                        filler: str) -> None:
    first = alarm(app, "Filler 3 jams", ci=filler, key="line3/filler3/E42")
    agent = as_role("agent")
    agent.post("/tickets/bulk", {"action": "problem", "refs": [first], "back": "/tickets"})
    edit = agent.text("/tickets/PRB-000001")
    version = re.search(r'name="version" value="(\d+)"', edit).group(1)  # type: ignore[union-attr]
    orig = {f"orig.{name}": value for name, value in re.findall(r'name="orig\.(\w+)" value="([^"]*)"', edit)}
    saved = agent.post("/tickets/PRB-000001/edit", {**orig, **{k[5:]: v for k, v in orig.items()},
                                                    "version": version, "title": "Filler 3 jams",
                                                    "workaround": "Clear the star wheel, then reset E42."})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    for to in ("investigating", "known_error"):
        version = re.search(r'name="version" value="(\d+)"',  # type: ignore[union-attr]
                            agent.text("/tickets/PRB-000001")).group(1)
        moved = agent.post("/tickets/PRB-000001/transition", {"to": to, "version": version}, follow=True)
        assert f"PRB-000001 is now {to.replace('_', ' ')}." in moved.get_data(as_text=True)
    again = alarm(app, "Filler 3 jams again", ci=filler, key="line3/filler3/E42")
    page = agent.text(f"/tickets/{again}")
    assert 'data-known-error="PRB-000001"' in page and "Clear the star wheel, then reset E42." in page
    assert "same item and alarm key" in page
    other = alarm(app, "Filler 3 out of caps", ci=filler, key="line3/filler3/E07")
    assert "data-known-error" not in agent.text(f"/tickets/{other}")
