"""The change calendar page (month and week, per site and line) and the standard-change
catalogue agents make approved changes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.api.context import actor, reading, unit_of_work
from hub.models import ConfigurationItem
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import change_templates
from hub.tracker.change_calendar import CalendarEntry, Freeze, calendar
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors
from hub.ui.moments import parse_local, viewer_zone
from hub.ui.tickets import bp

VIEWS = ("month", "week")


@dataclass
class Day:
    day: date
    in_period: bool
    today: bool
    changes: list[CalendarEntry] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)


def _anchor(text: str | None, zone: ZoneInfo) -> date:
    try:
        return date.fromisoformat(text) if text else datetime.now(zone).date()
    except ValueError:
        return datetime.now(zone).date()


def _period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first shown day, day after the last shown, previous anchor, next anchor); weeks start on Monday."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=7), anchor - timedelta(days=7), anchor + timedelta(days=7)
    month_start = anchor.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    first = month_start - timedelta(days=month_start.weekday())
    last = next_month + timedelta(days=(7 - next_month.weekday()) % 7)
    previous = (month_start - timedelta(days=1)).replace(day=1)
    return first, last, previous, next_month


def _moment(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _days(first: date, end: date, anchor: date, view: str, zone: ZoneInfo, entries: list[CalendarEntry],
          freezes: list[Freeze]) -> list[Day]:
    today = datetime.now(zone).date()
    days = []
    current = first
    while current < end:
        start, stop = _moment(current, zone), _moment(current + timedelta(days=1), zone)
        days.append(Day(current, view == "week" or current.month == anchor.month, current == today,
                        [e for e in entries if e.start < stop and e.end > start],
                        [f for f in freezes if f.starts_at < stop and f.ends_at > start]))
        current += timedelta(days=1)
    return days


def _places(session: Any) -> tuple[list[Any], list[Any]]:
    """Sites and lines for the filters (lines with their site's key)."""
    rows = list(session.execute(select(ConfigurationItem.id, ConfigurationItem.key, ConfigurationItem.name,
                                       ConfigurationItem.kind, ConfigurationItem.parent_id)
                                .where(ConfigurationItem.kind.in_(("site", "line"))).order_by(ConfigurationItem.name)))
    sites = [row for row in rows if row.kind == "site"]
    site_key = {row.id: row.key for row in sites}
    lines = [(row.key, row.name, site_key.get(row.parent_id)) for row in rows if row.kind == "line"]
    return sites, lines


@bp.get("/tickets/changes/calendar")
@login_required("tickets:read")
def change_calendar() -> Any:
    """Planned windows on a month or week, at one site or line, with the freezes."""
    zone = viewer_zone()
    asked = request.args.get("view") or ""
    view = asked if asked in VIEWS else "month"
    anchor = _anchor(request.args.get("date"), zone)
    site, line = (request.args.get("site") or "").strip() or None, (request.args.get("line") or "").strip() or None
    first, end, previous, following = _period(view, anchor)
    problem = None
    with reading() as session:
        sites, lines = _places(session)
        try:
            entries, freezes = calendar(session, start=_moment(first, zone), end=_moment(end, zone), site=site,
                                        line=line)
        except ValidationFailed as exc:
            problem = " ".join(message for messages in exc.errors.values() for message in messages)
            entries, freezes = [], []
    days = _days(first, end, anchor, view, zone, entries, freezes)
    title = anchor.strftime("%B %Y") if view == "month" else f"Week of {first:%d %B %Y}"
    query: dict[str, Any] = {"view": view, "site": site or "", "line": line or ""}
    return render_template("ui/changes/calendar.html", view=view, days=days, anchor=anchor, title=title,
                           sites=sites, lines=lines, site=site, line=line, problem=problem, count=len(entries),
                           previous=url_for("ui_tickets.change_calendar", **query, date=previous.isoformat()),
                           following=url_for("ui_tickets.change_calendar", **query, date=following.isoformat()),
                           today=url_for("ui_tickets.change_calendar", **query),
                           other_view=url_for("ui_tickets.change_calendar", **{**query, "view": "week" if
                                              view == "month" else "month"}, date=anchor.isoformat()),
                           freezes=freezes), 422 if problem else 200


@bp.route("/tickets/changes/templates", methods=["GET", "POST"])
@login_required("tickets:write")
def change_templates_page() -> Any:
    """The standard-change catalogue: pick a template, say where and when, get an approved change."""
    zone = viewer_zone()
    form = request.form.to_dict() if request.method == "POST" else {}
    if form:
        made = None
        with flashing_errors(), unit_of_work() as session:
            template = change_templates.get_template(session, form.get("template", ""))
            values: dict[str, Any] = {"ci": (form.get("ci") or "").strip() or None}
            for name in ("planned_start", "planned_end"):
                if (form.get(name) or "").strip():
                    try:
                        values[name] = parse_local(form[name], zone)
                    except ValueError as exc:
                        raise ValidationFailed({name: [str(exc)]}) from None
            made = change_templates.create_from_template(session=session, template=template, values=values,
                                                         actor=actor("ui"), source="ui").ref
        if made:
            flash(f"{made} made from the template: a standard change, approved.", "success")
            return redirect(url_for("ui_tickets.ticket_page", ref=made))
    with reading() as session:
        templates = change_templates.list_templates(session, active_only=True)
        items = list(session.scalars(select(ConfigurationItem.key).order_by(ConfigurationItem.key).limit(2000)))
    return render_template("ui/changes/templates.html", templates=templates, items=items, form=form)
