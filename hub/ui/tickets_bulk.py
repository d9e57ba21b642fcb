"""The lists' bulk actions and the ticket page's merge: plain form posts, results as flashes.

The lists' checkboxes belong to one form (``form="bulk-form"``), so the rows stay a plain
table and the page works without JavaScript. Each ticket goes through hub.tracker.bulk,
which uses the single-ticket services; what happened to each ticket is flashed on the list
the agent came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for

from hub.api.context import actor, unit_of_work
from hub.sdk.storable import unstorable
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.tracker import merge, problems, tickets
from hub.tracker.bulk import BulkResult, apply_bulk
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, flashing_errors, parse_int
from hub.ui.tickets import bp

#: The lists a bulk action may return to (with their filters); anything else goes to Tickets.
LISTS = ("/tickets", "/tickets/changes", "/tickets/problems", "/my-work")
#: Refused tickets named one by one in the flash; the rest are counted.
SHOWN_REFUSALS = 10


def _back_to(target: str | None) -> str:
    """The list the form came from, with its filters; never another site (no open redirect)."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or parts.path not in LISTS:
        return url_for("ui_tickets.ticket_list")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _params(action: str, form: Any) -> dict[str, Any]:
    """The inputs of the chosen action only: the bar shows every action's inputs at once."""
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    if action == "assign":
        # An empty box is a slip, not "unassign fifty tickets": the service asks for a name.
        return {"assignee": text("assignee")} if text("assignee") else {}
    if action == "move":
        return {"department": text("department") or None, "group": text("group") or None}
    if action == "tag":
        return {"tag": text("tag")}
    if action == "merge":
        return {"into": text("into")}
    return {}


def _done_as(action: str, params: dict[str, Any]) -> str:
    if action == "assign":
        return f"Assigned to {params['assignee']}"
    if action == "move":
        where = [f"{name} {params[name]}" for name in ("department", "group") if params.get(name)]
        return "Moved to " + " and ".join(where)
    if action == "tag":
        return f"Tagged {params['tag']!r}"
    return f"Merged into {str(params['into']).upper()} and closed"


def flash_results(action: str, params: dict[str, Any], results: Sequence[BulkResult]) -> None:
    """One line for what changed, one for what already was so, one per refused ticket."""
    changed = [r.ref for r in results if r.outcome == "changed"]
    unchanged = [r.ref for r in results if r.outcome == "unchanged"]
    refused = [r for r in results if r.outcome == "refused"]
    if changed:
        flash(f"{_done_as(action, params)}: {', '.join(changed)}.", "success")
    if unchanged:
        flash(f"Already so, nothing changed: {', '.join(unchanged)}.", "success")
    for result in refused[:SHOWN_REFUSALS]:
        flash(f"Not done on {result.ref}: {result.detail}", "error")
    if len(refused) > SHOWN_REFUSALS:
        flash(f"… and {len(refused) - SHOWN_REFUSALS} more tickets not done.", "error")


@bp.post("/tickets/bulk")
@login_required("tickets:write")
def bulk() -> Any:
    """The lists' bar: one action on the ticked rows."""
    form = request.form
    action = (form.get("action") or "").strip()
    if action == "problem":
        return _open_problem(form)
    if action == "major":
        from hub.ui.major_page import attach_selected

        return attach_selected(form) or redirect(_back_to(form.get("back")))
    params = _params(action, form)
    back = _back_to(form.get("back"))
    found = unstorable(params)
    if found:  # a forged form: PostgreSQL would refuse the text mid-way (the API refuses it up front too)
        flash(f"{found[0]}: {found[1]}", "error")
        return redirect(back)
    try:
        with unit_of_work() as session:
            results = apply_bulk(session=session, refs=form.getlist("refs"), action=action, params=params,
                                 actor=actor("ui"))
    except TrackerError as exc:
        flash(describe_error(exc), "error")
        return redirect(back)
    flash_results(action, params, results)
    return redirect(back)


def _open_problem(form: Any) -> Any:
    """The bar's "open a problem from them": one problem linked to every ticked incident."""
    title = str(form.get("problem_title") or "").strip()
    made: str | None = None
    with flashing_errors(), unit_of_work() as session:
        if (found := unstorable({"title": title})):
            raise ValidationFailed({"title": [found[1]]})
        problem = problems.open_problem(session=session, incident_refs=form.getlist("refs"),
                                        values={"title": title} if title else {}, actor=actor("ui"), source="ui")
        made, count = problem.ref, len(form.getlist("refs"))
    if made is None:
        return redirect(_back_to(form.get("back")))
    flash(f"Opened {made} from {count} incident{'s' if count != 1 else ''}; each is linked to it.", "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=made), code=303)


@bp.post("/tickets/<ref>/merge")
@login_required("tickets:write")
def merge_into(ref: str) -> Any:
    """The ticket page's merge: this ticket into the main ticket the agent names."""
    into = (request.form.get("into") or "").strip()
    done: str | None = None
    with flashing_errors(), unit_of_work() as session:
        if not into:
            raise ValidationFailed({"into": ["Name the main ticket, such as INC-000042."]})
        duplicate, main = merge.lock_pair(session, ref, into)
        tickets.check_version(duplicate, parse_int(request.form.get("version")))
        merge.merge_ticket(session=session, duplicate=duplicate, main=main, actor=actor("ui"))
        done = (f"Merged {duplicate.ref} into {main.ref} and closed it. The public comment on {duplicate.ref} names "
                f"{main.ref}; its requester's status link now follows {main.ref}.")
    if done:
        flash(done, "success")
    return redirect(url_for("ui_tickets.ticket_page", ref=ref.upper()))
