"""The ticket page: facts, one timeline, external links, and the actions agents take."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.api.context import actor, principal, reading, unit_of_work
from hub.core.runtime import runtime_of
from hub.models import Category, ConfigurationItem, Department, Group
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.tracker import approvals, canned, comments, merge, problems, tickets
from hub.tracker.cab import approval_status
from hub.tracker.change_calendar import check_schedule
from hub.tracker.major_updates import relayed_count
from hub.tracker.org import label_for, name_for
from hub.tracker.priority import LEVELS
from hub.tracker.states import MACHINES, RESOLVED_STATES
from hub.tracker.ticket_links import links_of
from hub.tracker.tickets import CHANGE_TYPES, RISKS
from hub.ui.auth import login_required
from hub.ui.change_tasks import task_context
from hub.ui.forms import flashing_errors, parse_int
from hub.ui.major_page import major_context
from hub.ui.moments import viewer_zone, zone_label
from hub.ui.sla_view import sla_lines
from hub.ui.ticket_edit import (
    LABELS,
    EditState,
    custom_labels,
    custom_of,
    custom_shown,
    fields_of,
    fresh_state,
    save_edit,
)
from hub.ui.ticket_links_page import CHOICES as LINK_CHOICES
from hub.ui.tickets import agents, bp
from hub.ui.tickets_timeline import build_timeline, external_links


def _back(ref: str, anchor: str = "timeline") -> Any:
    return redirect(url_for("ui_tickets.ticket_page", ref=ref) + f"#{anchor}")


def _flash_done(message: str | None) -> None:
    """Confirm an action only once its transaction committed."""
    if message:
        flash(message, "success")


def _version() -> int | None:
    """The version the agent saw: a change made meanwhile by someone else is not overwritten."""
    return parse_int(request.form.get("version"))


@bp.get("/tickets/<ref>")
@login_required("tickets:read")
def ticket_page(ref: str) -> Any:
    return _render_ticket(ref)


def _render_ticket(ref: str, edit: EditState | None = None, status: int = 200,
                   comment_draft: dict[str, Any] | None = None) -> Any:
    with reading() as session:
        ticket = tickets.get_ticket(session, ref)
        names = {what: label_for(session, lookup, getattr(ticket, column)) for what, lookup, column in (
            ("department", "department", "department_id"), ("assignee", "user", "assignee_id"),
            ("group", "group", "group_id"), ("category", "category", "category_id"), ("ci", "ci", "ci_id"))}
        names["assignee_login"] = name_for(session, "user", ticket.assignee_id)  # what the assign field takes
        machine = MACHINES[ticket.kind]
        moves = machine.allowed(ticket.status, ticket)
        decisions = [d for d in approvals.DECISIONS if d in moves] if ticket.kind == "change" else []
        custom = custom_of(session, ticket)
        standing = approval_status(session, ticket) if ticket.kind == "change" else None
        if standing is not None and standing.after_the_fact and standing.state == "pending":
            decisions = list(approvals.DECISIONS)  # an emergency change carried out first is approved after
        context = {
            "ticket": ticket, "names": names, "timeline": build_timeline(session, ticket),
            "links": external_links(session, ticket), "moves": [m for m in moves if m not in decisions],
            "decisions": decisions, "agents": agents(session), "resolved_states": RESOLVED_STATES,
            "approvals": approvals.list_approvals(session, ticket.id) if ticket.kind == "change" else [],
            "standing": standing,
            "schedule": check_schedule(session, ticket) if ticket.kind == "change" else None,
            "can_write": principal().can("tickets:write"),
            "sla": sla_lines(ticket, runtime_of(session).now()),
            "edit": edit or fresh_state(session, ticket, viewer_zone()),
            "edit_labels": {**LABELS, **custom_labels(custom)}, "custom": custom,
            "custom_shown": custom_shown(ticket, custom),
            "edit_fields": fields_of(ticket.kind, tuple(info.name for info in custom)),
            "levels": LEVELS, "change_types": CHANGE_TYPES, "risks": RISKS,
            "zone": zone_label(), "comment_draft": comment_draft,
            "main": merge.main_of(session, ticket), "duplicates": merge.duplicates_of(session, ticket),
            "related": [view for view in links_of(session, ticket) if view.id is not None],
            "link_choices": LINK_CHOICES,
            "can_merge": ticket.kind in merge.MERGEABLE_KINDS and ticket.status not in machine.final_states,
            "known_errors": problems.known_errors_for(session, ticket),
            **major_context(session, ticket),
        }
        context.update(_edit_choices(session))
        context.update(task_context(session, ticket))
        if any(info.type == "ci" for info in custom):  # suggestions for a field naming an item
            context["ci_choices"] = list(session.execute(select(ConfigurationItem.key, ConfigurationItem.name)
                                                         .order_by(ConfigurationItem.key).limit(500)))
        return render_template("ui/tickets/page.html", **context), status


def _edit_choices(session: Any) -> dict[str, Any]:
    """Options of the edit form's selects and suggestion lists (small tables)."""
    return {"departments": list(session.execute(select(Department.slug, Department.name).order_by(Department.name))),
            "groups": list(session.execute(select(Group.slug, Group.name).order_by(Group.name))),
            "categories": list(session.scalars(select(Category.slug).distinct().order_by(Category.slug).limit(500)))}


@bp.post("/tickets/<ref>/edit")
@login_required("tickets:write")
def edit(ref: str) -> Any:
    """Save the edit form: only the fields the agent changed, never over someone else's change."""
    zone = viewer_zone()
    try:
        with unit_of_work() as session:
            ticket = tickets.get_ticket(session, ref, for_update=True)
            state, changes = save_edit(session, ticket, request.form, actor("ui"), zone)
            ticket_ref = ticket.ref
            labels = {**LABELS, **{f"custom_fields.{info.name}": info.label for info in custom_of(session, ticket)}}
    except ValidationFailed as exc:
        refused: EditState | None = getattr(exc, "edit_state", None)
        if refused is None:
            raise
        return _render_ticket(ref, refused, 422)
    if state.conflicts:
        return _render_ticket(ref, state, 409)
    flash(f"Saved {ticket_ref}: {', '.join(labels.get(_shown(n), n) for n in changes)}." if changes
          else "Nothing changed: the form had no edits.", "success")
    return _back(ticket_ref, "details")


def _shown(name: str) -> str:
    return {"change_type": "type"}.get(name, name)


@bp.post("/tickets/<ref>/transition")
@login_required("tickets:write")
def transition(ref: str) -> Any:
    to = (request.form.get("to") or "").strip()
    note = (request.form.get("note") or "").strip() or None
    resolution = (request.form.get("resolution") or "").strip() or None
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, for_update=True)
        if not to:
            raise ValidationFailed({"to": ["Choose the state to move to."]})
        override = (request.form.get("override_reason") or "").strip() or None
        if ticket.kind == "change" and to in approvals.DECISIONS:
            approvals.decide(session=session, ticket=ticket, decision=to, actor=actor("ui"), comment=note or "",
                             expected_version=_version(), channel="ui", override_reason=override)
        else:
            tickets.transition_ticket(session=session, ticket=ticket, to=to, actor=actor("ui"), note=note,
                                      resolution=resolution, expected_version=_version(), override_reason=override)
        done = f"{ticket.ref} is now {to.replace('_', ' ')}."
    _flash_done(done)
    return _back(ref)


@bp.post("/tickets/<ref>/assign")
@login_required("tickets:write")
def assign(ref: str) -> Any:
    assignee = (request.form.get("assignee") or "").strip()
    if request.form.get("me"):
        assignee = principal().name
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, for_update=True)
        changes = tickets.update_ticket(session=session, ticket=ticket, values={"assignee": assignee or None},
                                        actor=actor("ui"), expected_version=_version())
        done = (f"Assigned {ticket.ref} to {assignee}." if assignee else f"{ticket.ref} is unassigned.") if changes \
            else "Nothing changed: it was already so."
    _flash_done(done)
    return _back(ref)


@bp.post("/tickets/<ref>/comment")
@login_required("tickets:write")
def comment(ref: str) -> Any:
    visibility = request.form.get("visibility") or "internal"
    body = request.form.get("body") or ""
    used = parse_int(request.form.get("canned_id"))
    anchor = "comment"
    done: str | None = None
    refused: list[TrackerError] = []
    with flashing_errors(refused.append), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, for_update=True)
        added = comments.add_comment(session=session, ticket=ticket, body=body, visibility=visibility,
                                     actor=actor("ui"))
        if used is not None:
            canned.record_use(session, used)
        done = "Public comment added: the requester sees it." if visibility == "public" else "Internal note added."
        if visibility == "public" and ticket.is_major:
            done = f"Public update added: the requesters of {relayed_count(session, added.id)} children are told too."
        anchor = f"comment-{added.id}"
    if refused and isinstance(refused[0], ValidationFailed):
        # The page again, with the text kept: a refused comment never costs the agent what they typed.
        errors = refused[0].errors
        draft = {"id": used, "body": body, "visibility": visibility,
                 "errors": [text for name in ("body", "visibility") for text in errors.get(name, [])]}
        return _render_ticket(ref, status=422, comment_draft=draft)
    _flash_done(done)
    return _back(ref, anchor)


@bp.post("/tickets/<ref>/approval")
@login_required("tickets:write")
def approval(ref: str) -> Any:
    decision = request.form.get("decision") or ""
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        ticket = tickets.get_ticket(session, ref, kind="change", for_update=True)
        approvals.decide(session=session, ticket=ticket, decision=decision, actor=actor("ui"),
                         comment=(request.form.get("comment") or "").strip(), expected_version=_version(),
                         channel="ui", override_reason=(request.form.get("override_reason") or "").strip() or None)
        standing = approval_status(session, ticket)
        done = (f"{ticket.ref} {ticket.status}." if ticket.status in approvals.DECISIONS else
                f"Your {decision} decision on {ticket.ref} is recorded; {standing.needed} more approval"
                f"{'s' if standing.needed != 1 else ''} needed.") if standing.needed or ticket.status != "assessment" \
            else f"{ticket.ref} {decision}."
    _flash_done(done)
    return _back(ref)
