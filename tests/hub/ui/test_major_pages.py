"""Major incidents on the pages (issue 22 point 3): promote and demote on the ticket page, attach by
reference or from a list selection, readable refusals, detach, and a child's banner."""

from __future__ import annotations

import html as markup
import re
from typing import Any

from flask import Flask

from tests.hub.ui.conftest import open_ticket


def flashes(page: str) -> list[tuple[str, str]]:
    return [(kind, markup.unescape(text)) for kind, text in re.findall(r'<p class="flash (\w+)">(.*?)</p>', page)]


def test_promote_attach_detach_and_demote_on_the_ticket_page(app: Flask, as_role: Any) -> None:
    major = open_ticket(app, title="Mail server down")
    children = [open_ticket(app, title=f"No mail ({n})") for n in range(3)]
    agent = as_role("agent")
    page = agent.text(f"/tickets/{major}")
    assert "Promote to major incident" in page and "data-major" not in page
    done = agent.post(f"/tickets/{major}/major", {"note": "Everyone reports it"}, follow=True)
    assert ("success", f"{major} is a major incident.") in flashes(done.get_data(as_text=True))
    page = agent.text(f"/tickets/{major}")
    assert "data-major" in page and "Major incident: 0 children" in page and "Promoted to major incident" in page

    typed = agent.post(f"/tickets/{major}/children", {"refs": f"{children[0]}, {children[1].lower()}\n"}, follow=True)
    assert ("success", f"Attached 2 incidents to {major}.") in flashes(typed.get_data(as_text=True))
    refused = agent.post(f"/tickets/{major}/children", {"refs": f"{children[2]} {major}"}, follow=True)
    assert refused.status_code == 200
    errors = [text for kind, text in flashes(refused.get_data(as_text=True)) if kind == "error"]
    assert errors and "its own child" in errors[0]
    # The list's bulk action: the third complaint, ticked; a missing major is named.
    listed = agent.text("/tickets")
    assert 'value="major"' in listed and "Attach to major incident …" in listed and 'id="bulk-major"' in listed
    empty = agent.post("/tickets/bulk", {"action": "major", "refs": [children[2]], "back": "/tickets"}, follow=True)
    assert ("error", "Name the major incident, such as INC-000042.") in flashes(empty.get_data(as_text=True))
    bulk = agent.post("/tickets/bulk", {"action": "major", "major": major, "refs": [children[2]], "back": "/tickets"})
    assert bulk.status_code == 302 and bulk.headers["Location"].endswith(f"/tickets/{major}#major")
    page = agent.text(f"/tickets/{major}")
    assert "Major incident: 3 children" in page and 'data-status-count="new"' in page
    assert all(f'data-child="{ref}"' in page for ref in children)

    child = agent.text(f"/tickets/{children[0]}")
    assert f'data-major-parent="{major}"' in child and f"Attached to major incident {major}" in child
    public = agent.post(f"/tickets/{major}/comment", {"body": "Back by noon.", "visibility": "public"}, follow=True)
    assert ("success", "Public update added: the requesters of 3 children are told too.") in \
        flashes(public.get_data(as_text=True))
    assert "Public update from the major incident" in agent.text(f"/tickets/{children[0]}")

    detached = agent.post(f"/tickets/{major}/children/{children[0]}/detach", follow=True)
    assert ("success", f"{children[0]} is detached from {major}.") in flashes(detached.get_data(as_text=True))
    assert "data-major-parent" not in agent.text(f"/tickets/{children[0]}")
    demoted = agent.post(f"/tickets/{major}/major/demote", follow=True)
    assert ("success", f"{major} is no longer a major incident; 2 children were detached.") in \
        flashes(demoted.get_data(as_text=True))


def test_a_child_is_not_promoted_and_readers_cannot_act(app: Flask, as_role: Any) -> None:
    major, child = open_ticket(app, title="Outage"), open_ticket(app, title="Me too")
    agent = as_role("agent")
    agent.post(f"/tickets/{major}/major")
    agent.post(f"/tickets/{major}/children", {"refs": child})
    refused = agent.post(f"/tickets/{child}/major", follow=True)
    errors = [text for kind, text in flashes(refused.get_data(as_text=True)) if kind == "error"]
    assert errors and f"child of major incident {major}" in errors[0]
    page = agent.text(f"/tickets/{child}")
    assert f"Detach from {major}" in page and "Promote to major incident" not in page
