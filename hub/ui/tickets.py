"""Agents' pages: the ticket list (filters, search, sort, saved views, keyset paging) and "my work"."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.api.context import principal, reading, unit_of_work
from hub.core.runtime import runtime_of
from hub.models import Department, Group, SavedView, Ticket, User
from hub.sdk.i18n import N_, gettext
from hub.sdk.tracker_errors import NotFound, TrackerError
from hub.tracker import custom_fields
from hub.tracker.org import label_for
from hub.tracker.queries import SORTS, Page, TicketFilter, encode_cursor, list_tickets
from hub.tracker.states import MACHINES
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, flashing_errors
from hub.ui.sla_view import sla_cell

bp = Blueprint("ui_tickets", __name__)

PAGE_SIZE = 50
SORT_LABELS = {
    "-updated_at": N_("Recently changed"), "updated_at": N_("Least recently changed"), "-created_at": N_("Newest"),
    "created_at": N_("Oldest"), "priority": N_("Most urgent first"), "-priority": N_("Least urgent first"),
}
#: Query parameters a list (and so a saved view) keeps; anything else is dropped.
LIST_PARAMS = ("kind", "status", "priority", "department", "assignee", "group", "q", "sort", "open", "sla", "col")
SLA_CHOICES = {"breached": N_("Breached"), "due_soon": N_("Due within 1 h")}
#: The lists of one kind each (their own create buttons, and bulk actions without merge).
KIND_LISTS = ("ui_tickets.change_list", "ui_tickets.problem_list")
ALL_STATES = sorted({state for machine in MACHINES.values() for state in machine.states})


def _filter_from(args: Any, *, kind: str | None = None) -> tuple[TicketFilter, dict[str, Any], list[str]]:
    """A TicketFilter from the query string; unreadable values are dropped with a message, never a 500."""
    problems: list[str] = []
    chosen_kind = args.get("kind", kind or "") or None
    if chosen_kind not in (None, *MACHINES):
        problems.append(f"Unknown kind {chosen_kind!r}; showing all kinds.")
        chosen_kind = None
    statuses = [s for s in args.getlist("status") if s]
    unknown = [s for s in statuses if s not in ALL_STATES]
    if unknown:
        problems.append(f"Unknown status {', '.join(unknown)}.")
        statuses = [s for s in statuses if s in ALL_STATES]
    priorities = []
    for value in args.getlist("priority"):
        if value in ("1", "2", "3", "4", "5"):
            priorities.append(int(value))
        elif value:
            problems.append(f"Priority must be 1 to 5, not {value!r}.")
    sla = (args.get("sla") or "").strip() or None
    if sla is not None and sla not in SLA_CHOICES:
        problems.append(f"Unknown SLA filter {sla[:40]!r}; showing every ticket.")
        sla = None
    assignee = (args.get("assignee") or "").strip() or None
    if assignee == "me":
        assignee = principal().name
    flt = TicketFilter(kind=chosen_kind, status=statuses, priority=priorities,
                       department=(args.get("department") or "").strip() or None, assignee=assignee,
                       group=(args.get("group") or "").strip() or None, q=(args.get("q") or "").strip()[:200] or None,
                       open_only=args.get("open") in ("1", "on", "true"), sla=sla)
    custom = {key[3:]: value.strip()[:200] for key, value in args.items() if key.startswith("cf.") and value.strip()}
    flt.custom = list(custom.items())
    shown = {"sla": sla or "", "kind": chosen_kind or "", "status": statuses, "priority": [str(p) for p in priorities],
             "department": flt.department or "", "assignee": args.get("assignee", "") or "",
             "group": flt.group or "", "q": flt.q or "", "open": flt.open_only, "cf": custom,
             "columns": [name for name in args.getlist("col") if name][:10]}
    return flt, shown, problems


def row_of(session: Session, ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    return {
        "sla": sla_cell(ticket, now or runtime_of(session).now()),
        "ref": ticket.ref, "kind": ticket.kind, "title": ticket.title, "status": ticket.status,
        "priority": ticket.priority, "updated_at": ticket.updated_at, "flapping": ticket.flapping,
        "occurrences": ticket.occurrence_count, "department": label_for(session, "department", ticket.department_id),
        "assignee": label_for(session, "user", ticket.assignee_id), "source": ticket.source,
        "duplicate": ticket.duplicate_of_id is not None, "custom": ticket.custom_fields or {},
    }


def _choices(session: Session) -> dict[str, Any]:
    """Options for the filter selects (small tables: departments, groups, active staff)."""
    return {
        "departments": list(session.execute(select(Department.slug, Department.name).order_by(Department.name))),
        "groups": list(session.execute(select(Group.slug, Group.name).order_by(Group.name))),
        "agents": agents(session),
        # In the user's language where the agents' catalogue has it.
        "states": ALL_STATES, "sorts": {key: gettext(label) for key, label in SORT_LABELS.items()},
        "sla_choices": {key: gettext(label) for key, label in SLA_CHOICES.items()}, "kinds": tuple(MACHINES),
    }


def agents(session: Session) -> list[str]:
    return list(session.scalars(select(User.username).where(User.active.is_(True), User.role.in_(("agent", "admin")))
                                .order_by(User.username).limit(500)))


def _query_string(args: Any) -> str:
    """The list's parameters (a saved view keeps them): the fixed ones, then custom field filters."""
    pairs = [(key, value) for key in LIST_PARAMS for value in args.getlist(key) if value not in ("", None)]
    pairs += [(key, value) for key in sorted(args) if key.startswith("cf.") for value in args.getlist(key) if value]
    return urlencode(pairs)


def list_any_kind(session: Session, flt: TicketFilter, *, sort: str, limit: int, cursor: str | None) -> Page:
    """A keyset page over every kind, as fast as one kind's: each kind's indexed page, merged.

    The indexes lead with ``kind``; a list across kinds would otherwise sort the whole table
    (120 ms a page at a million tickets). The cursor is the same for each kind (sort value and
    id), so the first ``limit`` of the merged pages are exactly the first ``limit`` overall.
    """
    if flt.kind is not None:
        return list_tickets(session, flt, sort=sort, limit=limit, cursor=cursor)
    column, descending = SORTS[sort]
    rows: list[Ticket] = []
    more = False
    for kind in MACHINES:
        page = list_tickets(session, replace(flt, kind=kind), sort=sort, limit=limit, cursor=cursor)
        rows += page.items
        more = more or page.next_cursor is not None
    rows.sort(key=lambda ticket: (getattr(ticket, column.key), ticket.id), reverse=descending)
    more = more or len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = encode_cursor(sort, getattr(last, column.key), last.id) if more and last is not None else None
    return Page(items=rows, next_cursor=next_cursor)


def _render_list(*, title: str, endpoint: str, kind: str | None = None, fixed: dict[str, Any] | None = None) -> Any:
    args = request.args
    flt, shown, problems = _filter_from(args, kind=kind)
    for name, value in (fixed or {}).items():
        setattr(flt, name, value)
    sort = args.get("sort") or ("priority" if endpoint == "ui_tickets.my_work" else "-updated_at")
    if sort not in SORTS:
        problems.append(f"Unknown sort {sort!r}; sorted by most recent change.")
        sort = "-updated_at"
    cursor = args.get("cursor") or None
    rows: list[dict[str, Any]] = []
    next_cursor = None
    user = principal()
    with reading() as session:
        try:
            page = list_any_kind(session, flt, sort=sort, limit=PAGE_SIZE, cursor=cursor)
        except TrackerError as exc:
            problems.append(describe_error(exc) + " Showing the first page.")
            page = list_any_kind(session, flt, sort=sort, limit=PAGE_SIZE, cursor=None)
            cursor = None
        now = runtime_of(session).now()
        rows = [row_of(session, ticket, now) for ticket in page.items]
        next_cursor = page.next_cursor
        choices = _choices(session)
        fields = custom_fields.list_fields(session)
        known = {info.name for info in fields}
        for name, _ in flt.custom:
            if name not in known:
                problems.append(f"No custom field {name[:40]!r}; that filter matches nothing.")
        choices["custom_fields"] = fields
        choices["columns"] = [info for info in fields if info.name in shown["columns"]]
        views = list(session.scalars(select(SavedView).where(
            or_(SavedView.user_id == user.user_id, SavedView.shared.is_(True))).order_by(SavedView.name)))
        saved = [{"id": v.id, "name": v.name, "query": v.query, "shared": v.shared, "mine": v.user_id == user.user_id}
                 for v in views]
    query = _query_string(args)
    next_url = None
    if next_cursor:
        next_url = url_for(endpoint) + "?" + "&".join(filter(None, [query, urlencode({"sort": sort, "cursor":
                                                                                   next_cursor})]))
    return render_template("ui/tickets/list.html", title=title, rows=rows, shown=shown, sort=sort, problems=problems,
                           next_url=next_url, first_url=url_for(endpoint) + ("?" + query if query else ""),
                           paged=bool(cursor), query=query, saved=saved, endpoint=endpoint,
                           create_links=_create_links(endpoint), bulk=_bulk_bar(endpoint), **choices)


def _bulk_bar(endpoint: str) -> dict[str, Any] | None:
    """The bar under a list that acts on the ticked rows (None for readers who cannot change tickets)."""
    if not principal().can("tickets:write"):
        return None
    actions = {"assign": "Assign to", "move": "Move to", "tag": "Add a tag"}
    if endpoint not in KIND_LISTS:
        actions["merge"] = "Merge into"  # only incidents merge; a list of changes or problems has none
        actions["problem"] = "Open a problem from them"  # from incidents only
        actions["major"] = "Attach to major incident …"
    return {"actions": actions, "back": request.full_path.rstrip("?")}


def _create_links(endpoint: str) -> list[dict[str, Any]]:
    """The buttons beside a list's heading; "c" makes what the list shows."""
    if not principal().can("tickets:write"):
        return []
    change = {"label": "New change", "url": url_for("ui_tickets.new_change"), "key": None}
    if endpoint == "ui_tickets.problem_list":
        return [{"label": "New problem", "url": url_for("ui_tickets.new_problem"), "key": "c"}]
    if endpoint == "ui_tickets.change_list":
        return [{**change, "key": "c"}, {"label": "My drafts", "url": url_for("ui_tickets.my_drafts"), "key": None},
                {"label": "Standard changes", "url": url_for("ui_tickets.change_templates_page"), "key": None}]
    return [{"label": "New incident", "url": url_for("ui_tickets.new_incident"), "key": "c"},
            {"label": "Log a call", "url": url_for("ui_tickets.log_call"), "key": None}, change]


@bp.get("/tickets")
@login_required("tickets:read")
def ticket_list() -> Any:
    return _render_list(title="Tickets", endpoint="ui_tickets.ticket_list")


@bp.get("/tickets/changes")
@login_required("tickets:read")
def change_list() -> Any:
    return _render_list(title="Changes", endpoint="ui_tickets.change_list", kind="change")


@bp.get("/tickets/problems")
@login_required("tickets:read")
def problem_list() -> Any:
    return _render_list(title="Problems", endpoint="ui_tickets.problem_list", kind="problem")


@bp.get("/my-work")
@login_required("tickets:read")
def my_work() -> Any:
    """Open tickets assigned to the signed-in user, most urgent first."""
    return _render_list(title="My work", endpoint="ui_tickets.my_work",
                        fixed={"assignee": principal().name, "open_only": True})


@bp.post("/tickets/views")
@login_required("tickets:read")
def save_view() -> Any:
    name = (request.form.get("name") or "").strip()
    query = (request.form.get("query") or "").strip().lstrip("?")[:2000]
    if not name or len(name) > 100:
        flash("Give the view a name of at most 100 characters.", "error")
        return redirect(url_for("ui_tickets.ticket_list") + ("?" + query if query else ""))
    user = principal()
    with unit_of_work() as session:
        existing = session.scalar(select(SavedView).where(SavedView.user_id == user.user_id, SavedView.name == name))
        if existing is None:
            existing = SavedView(user_id=user.user_id, name=name, settings={})
            session.add(existing)
        existing.query = query
        existing.shared = request.form.get("shared") == "on"
    flash(f"Saved the view {name!r}.", "success")
    return redirect(url_for("ui_tickets.ticket_list") + ("?" + query if query else ""))


@bp.post("/tickets/views/<int:view_id>/delete")
@login_required("tickets:read")
def delete_view(view_id: int) -> Any:
    with flashing_errors(), unit_of_work() as session:
        view = session.get(SavedView, view_id)
        if view is None or view.user_id != principal().user_id:
            raise NotFound("No saved view of yours with that number.")
        session.delete(view)
        flash(f"Deleted the view {view.name!r}.", "success")
    return redirect(url_for("ui_tickets.ticket_list"))
