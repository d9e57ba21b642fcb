"""Admin page for change governance: the approval boards (which group decides on which changes,
with its quorum), the standard-change catalogue and the freeze windows per site."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.api.context import actor, reading, unit_of_work
from hub.models import ConfigurationItem, Group
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker import cab, change_calendar, change_templates
from hub.ui.admin import bp
from hub.ui.auth import login_required
from hub.ui.forms import flashing_errors, parse_int
from hub.ui.moments import parse_local, viewer_zone

SECTIONS = ("boards", "templates", "freezes")


def _back(section: str) -> Any:
    return redirect(url_for("ui_admin.change_governance") + f"#{section}")


@bp.get("/changes")
@login_required("admin")
def change_governance() -> Any:
    with reading() as session:
        policies = [cab.present_policy(session, policy) for policy in cab.list_policies(session)]
        templates = change_templates.list_templates(session)
        freezes = change_calendar.list_freezes(session)
        groups = list(session.execute(select(Group.slug, Group.name).order_by(Group.name)))
        sites = list(session.execute(select(ConfigurationItem.key, ConfigurationItem.name)
                                     .where(ConfigurationItem.kind == "site").order_by(ConfigurationItem.name)))
    return render_template("ui/admin/changes.html", policies=policies, templates=templates, freezes=freezes,
                           groups=groups, sites=sites, change_types=cab.CHANGE_TYPES, risks=cab.RISKS)


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


@bp.post("/changes/boards")
@login_required("admin")
def add_board() -> Any:
    with flashing_errors(), unit_of_work() as session:
        quorum = parse_int(_text("quorum"))
        if quorum is None:
            raise ValidationFailed({"quorum": ["A whole number: how many members must approve."]})
        policy = cab.create_policy(session=session, actor=actor("ui"), values={
            "change_type": _text("change_type"), "risk": _text("risk") or None, "group": _text("group"),
            "quorum": quorum})
        flash(f"{policy.change_type.capitalize()} changes of {policy.risk or 'any'} risk now need {quorum} "
              f"approval(s) from {_text('group')}.", "success")
    return _back("boards")


@bp.post("/changes/boards/<int:policy_id>/delete")
@login_required("admin")
def delete_board(policy_id: int) -> Any:
    with flashing_errors(), unit_of_work() as session:
        cab.delete_policy(session=session, policy=cab.get_policy(session, policy_id), actor=actor("ui"))
        flash("Board removed: those changes need one approval by any agent other than their author.", "success")
    return _back("boards")


@bp.post("/changes/templates")
@login_required("admin")
def add_template() -> Any:
    with flashing_errors(), unit_of_work() as session:
        template = change_templates.create_template(session=session, actor=actor("ui"), values={
            "slug": _text("slug"), "title": _text("title"), "description": request.form.get("description") or "",
            "risk": _text("risk") or "low", "plan": request.form.get("plan") or ""})
        flash(f"Template {template.slug} added: agents can make approved standard changes from it.", "success")
    return _back("templates")


@bp.post("/changes/templates/<int:template_id>/active")
@login_required("admin")
def toggle_template(template_id: int) -> Any:
    with flashing_errors(), unit_of_work() as session:
        template = change_templates.get_template(session, template_id)
        change_templates.update_template(session=session, template=template, values={"active": not template.active},
                                         actor=actor("ui"))
        flash(f"Template {template.slug} {'offered again' if template.active else 'retired'}.", "success")
    return _back("templates")


@bp.post("/changes/freezes")
@login_required("admin")
def add_freeze() -> Any:
    zone = viewer_zone()
    with flashing_errors(), unit_of_work() as session:
        moments = {}
        for name in ("starts_at", "ends_at"):
            try:
                moments[name] = parse_local(_text(name), zone)
            except ValueError as exc:
                raise ValidationFailed({name: [str(exc)]}) from None
        change_calendar.create_freeze(session=session, site=_text("site") or None, reason=_text("reason"),
                                      actor=actor("ui"), **moments)
        flash(f"Freeze added: {_text('reason')}.", "success")
    return _back("freezes")


@bp.post("/changes/freezes/<int:freeze_id>/delete")
@login_required("admin")
def delete_freeze(freeze_id: int) -> Any:
    with flashing_errors(), unit_of_work() as session:
        change_calendar.delete_freeze(session=session, freeze_id=freeze_id, actor=actor("ui"))
        flash("Freeze removed.", "success")
    return _back("freezes")
