"""The ticket page's related tickets: link to another ticket, and remove a link."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from hub.api.context import actor, unit_of_work
from hub.tracker import tickets
from hub.tracker.ticket_links import WORDS, add_link, remove_link
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors
from hub.ui.tickets import bp

#: The choices of the page's form, in the words of the ticket it is on.
CHOICES = (("related", "Related to"), ("child_of", "Child of"), ("parent_of", "Parent of"),
           ("caused_by", "Caused by (a change)"), ("caused", "Caused (an incident)"),
           ("symptom_of", "Symptom of (a problem)"), ("problem_of", "Problem behind (an incident)"))


def _back(ref: str) -> Any:
    return redirect(url_for("ui_tickets.ticket_page", ref=ref) + "#related")


@bp.post("/tickets/<ref>/links")
@login_required("tickets:write")
def link_ticket(ref: str) -> Any:
    kind = (request.form.get("kind") or "").strip()
    other = (request.form.get("other") or "").strip().upper()
    done = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref)
        link = add_link(session=session, ticket=ticket, kind=kind, other_ref=other, actor=actor("ui"))
        words = WORDS[link.kind][0 if link.source_id == ticket.id else 1]
        done = f"{ticket.ref} is now {words} {other}."
    if done:
        flash(done, "success")
    return _back(ref)


@bp.post("/tickets/<ref>/links/<int:link_id>/remove")
@login_required("tickets:write")
def unlink_ticket(ref: str, link_id: int) -> Any:
    done = False
    with flashing_errors(), unit_of_work() as session:
        remove_link(session=session, ticket=tickets.get_ticket(session, ref), link_id=link_id, actor=actor("ui"))
        done = True
    if done:
        flash("The link is removed.", "success")
    return _back(ref)



