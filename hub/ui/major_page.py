"""The ticket page's major incident: promote and demote, attach and detach children, and the
list's bulk action "Attach to major incident …" (the way to drag many incidents in at once)."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, request, url_for
from sqlalchemy.orm import Session

from hub.api.context import actor, unit_of_work
from hub.models import Ticket
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import majors, tickets
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors
from hub.ui.tickets import bp

#: What separates the references an agent types or pastes: spaces, commas, semicolons, lines.
SEPARATORS = re.compile(r"[\s,;]+")


def major_context(session: Session, ticket: Ticket) -> dict[str, Any]:
    """What the ticket page shows of major incidents: its children, or the major it belongs to."""
    return {"major_children": majors.children_of(session, ticket) if ticket.is_major else None,
            "major_parent": majors.major_of(session, ticket)}


def _back(ref: str) -> Any:
    return redirect(url_for("ui_tickets.ticket_page", ref=ref.upper()) + "#major")


@bp.post("/tickets/<ref>/major")
@login_required("tickets:write")
def promote_major(ref: str) -> Any:
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, for_update=True)
        changed = majors.promote(session=session, ticket=ticket, actor=actor("ui"),
                                 note=(request.form.get("note") or "").strip() or None)
        done = f"{ticket.ref} is a major incident." if changed else f"{ticket.ref} already was a major incident."
    if done:
        flash(done, "success")
    return _back(ref)


@bp.post("/tickets/<ref>/major/demote")
@login_required("tickets:write")
def demote_major(ref: str) -> Any:
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, kind="incident", for_update=True)
        detached = majors.demote(session=session, ticket=ticket, actor=actor("ui"))
        done = f"{ticket.ref} is no longer a major incident" + (f"; {detached} children were detached." if detached
                                                                 else ".")
    if done:
        flash(done, "success")
    return _back(ref)


@bp.post("/tickets/<ref>/children")
@login_required("tickets:write")
def attach_children(ref: str) -> Any:
    refs = [part for part in SEPARATORS.split(request.form.get("refs") or "") if part]
    _attach(ref, refs)
    return _back(ref)


@bp.post("/tickets/<ref>/children/<child>/detach")
@login_required("tickets:write")
def detach_child(ref: str, child: str) -> Any:
    done = False
    with flashing_errors(), unit_of_work() as session:
        major = tickets.get_ticket(session, ref, kind="incident", for_update=True)
        majors.detach(session=session, major=major, child_ref=child, actor=actor("ui"))
        done = True
    if done:
        flash(f"{child.upper()} is detached from {ref.upper()}.", "success")
    return _back(ref)


def attach_selected(form: Any) -> Any:
    """The list's bulk action: every ticked incident becomes a child of the major incident named."""
    into = str(form.get("major") or "").strip().upper()
    if not into:
        flash("Name the major incident, such as INC-000042.", "error")
        return None
    return _back(into) if _attach(into, form.getlist("refs")) else None


def _attach(ref: str, refs: list[str]) -> bool:
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        if not refs:
            raise ValidationFailed({"refs": ["Name at least one incident (INC-...)."]})
        major = tickets.get_ticket(session, ref, kind="incident", for_update=True)
        attached = majors.attach(session=session, major=major, refs=refs, actor=actor("ui"))
        count = len(attached)
        done = (f"Attached {count} incident{'s' if count != 1 else ''} to {major.ref}." if count
                else f"Nothing changed: they already were children of {major.ref}.")
    if done:
        flash(done, "success")
    return done is not None
