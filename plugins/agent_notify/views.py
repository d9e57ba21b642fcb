"""The agent's pages: /notifications (newest first, mark read, mark all read) and
/notifications/settings (which event by which channel, mail at once or as a digest).

Plain forms and links, so they work without JavaScript and by keyboard; for agents and
admins (``tickets:write``), each seeing only their own.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from hub.sdk import hub_services
from hub.sdk.web import current_principal, login_required, reading, unit_of_work
from plugins.agent_notify.choices import EMAIL_MODES, NAME, catalog, from_form, table

PERMISSION = "tickets:write"
PAGE = 30


def make_blueprint() -> Blueprint:
    """A new blueprint per app (the hub adds the plugin's switch to each)."""
    bp = Blueprint("agent_notify", __name__, template_folder="templates", url_prefix="/notifications")
    bp.add_url_rule("", view_func=notifications, methods=["GET"])
    bp.add_url_rule("/<int:number>/open", view_func=open_notification, methods=["GET"])
    bp.add_url_rule("/<int:number>/read", view_func=mark_read, methods=["POST"])
    bp.add_url_rule("/read-all", view_func=mark_all_read, methods=["POST"])
    bp.add_url_rule("/settings", view_func=settings, methods=["GET", "POST"])
    return bp


def _me() -> str:
    return str(current_principal().name)


def _number(name: str) -> int | None:
    text = request.args.get(name, "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        abort(400, f"{name} is a notification's number.")
    return int(text)


def unread_badge(principal: Any) -> int | None:
    """The menu's count: one indexed query per page."""
    if principal is None or principal.user_id is None:
        return None
    with reading() as session:
        return hub_services.unread_notifications(session, principal.name)


@login_required(PERMISSION)
def notifications() -> Any:
    unread_only = request.args.get("unread") == "1"
    before = _number("before")
    with reading() as session:
        rows = hub_services.notifications(session, _me(), unread_only=unread_only, limit=PAGE + 1, before=before)
        unread = hub_services.unread_notifications(session, _me())
        labels = catalog(session)
    older = rows[PAGE - 1].id if len(rows) > PAGE else None
    return render_template("agent_notify/list.html", rows=rows[:PAGE], unread=unread, unread_only=unread_only,
                           older=older, paged=before is not None, label=labels.label)


@login_required(PERMISSION)
def open_notification(number: int) -> Any:
    """Open what it is about, marking it read (only one's own: another's number opens nothing)."""
    with unit_of_work() as session:
        mine = [row for row in hub_services.notifications(session, _me(), limit=1, before=number + 1)
                if row.id == number]
        if not mine:
            abort(404, "No such notification of yours.")
        hub_services.mark_notifications_read(session, _me(), [number])
    if mine[0].ticket_ref:
        return redirect(url_for("ui_tickets.ticket_page", ref=mine[0].ticket_ref))
    return redirect(url_for("agent_notify.notifications"))


def _back() -> Any:
    unread = request.form.get("unread") == "1"
    return redirect(url_for("agent_notify.notifications", unread="1" if unread else None))


@login_required(PERMISSION)
def mark_read(number: int) -> Any:
    with unit_of_work() as session:
        changed = hub_services.mark_notifications_read(session, _me(), [number])
    flash("Marked as read." if changed else "It was read already.", "success")
    return _back()


@login_required(PERMISSION)
def mark_all_read() -> Any:
    with unit_of_work() as session:
        changed = hub_services.mark_notifications_read(session, _me())
    flash(f"Marked {changed} as read." if changed else "Nothing was unread.", "success")
    return _back()


@login_required(PERMISSION)
def settings() -> Any:
    with reading() as session:
        found = catalog(session)
        mine = hub_services.preferences(session, _me(), NAME)
        routes = hub_services.present_settings(session, NAME)["settings"].get("webhooks") or []
    if request.method == "POST":
        choices = from_form(found, request.form)
        with unit_of_work() as session:
            hub_services.set_preferences(session, _me(), NAME, choices)
        flash("Saved what you hear of, and how.", "success")
        return redirect(url_for("agent_notify.settings"))
    # The webhook column only where an admin set a team webhook up: elsewhere it means nothing.
    channels = [channel for channel in found.channels.values() if channel.name != "webhook" or routes]
    return render_template("agent_notify/settings.html", events=list(found.events.values()), channels=channels,
                           chosen=table(found, mine), email=mine.get("email") if mine.get("email") in EMAIL_MODES
                           else "instant", modes=EMAIL_MODES)
