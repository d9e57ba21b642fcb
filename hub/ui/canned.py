"""Canned replies in the agent's workspace: the page that keeps them, and inserting one
into a ticket's comment form (with scripts: in place, at the cursor; without: the page
comes back with the text in the form)."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask import session as flask_session

from hub.api.context import principal, reading, unit_of_work
from hub.tracker import canned, tickets
from hub.tracker.errors import NotFound, TrackerError, ValidationFailed
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, field_errors, flashing_errors
from hub.ui.tickets import bp

#: Where an inserted reply waits for the ticket page when the browser runs no script.
PREFILL_KEY = "canned_prefill"


def _editor() -> canned.Editor:
    return canned.Editor(user_id=principal().user_id, admin=principal().can("admin"))


def _page(form: dict[str, Any], errors: dict[str, list[str]], problems: list[str], editing: Any = None) -> Any:
    with reading() as session:
        rows = canned.visible_to(session, principal().user_id)
        replies = [{"id": r.id, "title": r.title, "body": r.body, "visibility": r.visibility,
                    "shared": r.owner_id is None, "uses": r.uses} for r in rows]
    return render_template("ui/canned/list.html", replies=replies, form=form, errors=errors, problems=problems,
                           editing=editing, placeholders=canned.PLACEHOLDERS,
                           is_admin=principal().can("admin")), 422 if problems else 200


@bp.route("/canned-replies", methods=["GET", "POST"])
@login_required("tickets:write")
def canned_replies() -> Any:
    if request.method == "GET":
        return _page({}, {}, [])
    form = request.form.to_dict()
    try:
        with unit_of_work() as session:
            reply = canned.create_reply(session, _editor(), {**form, "shared": form.get("shared") == "1"})
            title = reply.title
    except ValidationFailed as exc:
        return _page(form, field_errors(exc), [exc.detail])
    except TrackerError as exc:
        return _page(form, {}, [describe_error(exc)])
    flash(f"Saved the reply {title!r}.", "success")
    return redirect(url_for("ui_tickets.canned_replies"))


@bp.route("/canned-replies/<int:reply_id>", methods=["GET", "POST"])
@login_required("tickets:write")
def canned_reply(reply_id: int) -> Any:
    if request.method == "GET":
        with reading() as session:
            reply = canned.get_reply(session, reply_id, principal().user_id)
            form = {"title": reply.title, "body": reply.body, "visibility": reply.visibility}
        return _page(form, {}, [], editing=reply_id)
    form = request.form.to_dict()
    try:
        with unit_of_work() as session:
            canned.update_reply(session, _editor(), reply_id, {key: form.get(key, "") for key in
                                                               ("title", "body", "visibility")})
    except ValidationFailed as exc:
        return _page(form, field_errors(exc), [exc.detail], editing=reply_id)
    except TrackerError as exc:
        return _page(form, {}, [describe_error(exc)], editing=reply_id)
    flash("Saved.", "success")
    return redirect(url_for("ui_tickets.canned_replies"))


@bp.post("/canned-replies/<int:reply_id>/delete")
@login_required("tickets:write")
def delete_canned_reply(reply_id: int) -> Any:
    done = False
    with flashing_errors(), unit_of_work() as session:
        canned.delete_reply(session, _editor(), reply_id)
        done = True
    if done:
        flash("Deleted the reply.", "success")
    return redirect(url_for("ui_tickets.canned_replies"))


@bp.post("/tickets/<ref>/canned")
@login_required("tickets:write")
def insert_canned(ref: str) -> Any:
    """The chosen reply filled in for this ticket: JSON for the page's script, else back to
    the page with the text in the comment form."""
    wants_json = request.accept_mimetypes.best == "application/json"
    reply_id = request.form.get("canned_id", "")
    try:
        with unit_of_work() as session:
            if not reply_id.isdigit() or len(reply_id) > 18:
                raise ValidationFailed({"canned_id": ["Choose a canned reply."]})
            reply = canned.get_reply(session, int(reply_id), principal().user_id)
            ticket = tickets.get_ticket(session, ref)
            text = canned.render(session, reply, ticket, principal().user_id, principal().name)
            filled = {"id": reply.id, "body": text, "visibility": reply.visibility}
            ticket_ref = ticket.ref
    except (NotFound, ValidationFailed) as exc:
        if wants_json:
            return jsonify({"detail": describe_error(exc)}), exc.status
        flash(describe_error(exc), "error")
        return redirect(url_for("ui_tickets.ticket_page", ref=ref) + "#comment")
    if wants_json:
        return jsonify(filled)
    flask_session[PREFILL_KEY] = {"ref": ticket_ref, **filled}
    return redirect(url_for("ui_tickets.ticket_page", ref=ticket_ref) + "#comment")


def picker(ticket_ref: str) -> dict[str, Any]:
    """What the ticket page's comment form offers: the replies, and one waiting to be shown."""
    prefill = flask_session.get(PREFILL_KEY)
    if prefill and prefill.get("ref") == ticket_ref:
        flask_session.pop(PREFILL_KEY)
    else:
        prefill = None
    with reading() as session:
        replies = [{"id": r.id, "title": r.title, "shared": r.owner_id is None}
                   for r in canned.visible_to(session, principal().user_id)]
    return {"replies": replies, "prefill": prefill}
