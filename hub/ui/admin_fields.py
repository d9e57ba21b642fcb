"""Admin > Organisation > Custom fields: the fields a department's tickets ask for.

The list with an add form, an edit page per field, and deleting (refused while tickets have
values, unless the admin ticks that the values go too). The services are hub.tracker.custom_fields.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub.api.context import reading
from hub.models import FIELD_TYPES, TicketFieldValue
from hub.tracker import custom_fields
from hub.ui.admin import bp
from hub.ui.admin_org import FormResult, department_choices, form_text, save_form, ui_actor
from hub.ui.auth import login_required
from hub.ui.forms import parse_int

TYPE_LABELS = {"text": "Text", "number": "Number", "choice": "Choice (one of the options)", "date": "Date",
               "ci": "Configuration item"}
KIND_CHOICES = [("incident", "Incidents"), ("change", "Changes")]
LABELS = {"name": "Name", "label": "Label", "type": "Type", "options": "Options", "department": "Department",
          "kind": "Ticket kind", "required": "Required", "help": "Help text", "position": "Position"}


def _posted() -> dict[str, Any]:
    """The form's attributes as the services take them."""
    position = form_text("position")
    data: dict[str, Any] = {
        "label": form_text("label"), "type": form_text("type"), "options": form_text("options"),
        "department": form_text("department") or None, "kind": form_text("kind") or None,
        "required": request.form.get("required") == "on", "help": form_text("help"),
        "position": parse_int(position) if position else 0,
    }
    if data["position"] is None:
        data["position"] = position  # the service names the problem
    if data["type"] != "choice" and not data["options"]:
        data.pop("options")
    return data


def _shown(info: Any) -> dict[str, Any]:
    return {"name": info.name, "label": info.label, "type": info.type, "options": "\n".join(info.options),
            "department": info.department or "", "kind": info.kind or "", "required": info.required,
            "help": info.help, "position": str(info.position)}


def _choices(session: Any) -> dict[str, Any]:
    return {"departments": department_choices(session), "kinds": KIND_CHOICES,
            "types": [(name, TYPE_LABELS[name]) for name in FIELD_TYPES], "labels": LABELS}


@bp.route("/org/fields", methods=["GET", "POST"])
@login_required("admin")
def org_fields() -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else {"type": "text"}
    if request.method == "POST":
        result = save_form(lambda session: "Added custom field " + custom_fields.create_field(
            session=session, name=form_text("name"), actor=ui_actor(), **_posted()).name + ".")
        if result.ok:
            return redirect(url_for("ui_admin.org_fields"))
    with reading() as session:
        rows = custom_fields.list_fields(session)
        used = {int(ident): int(count) for ident, count in session.execute(
            select(TicketFieldValue.field_id, func.count()).group_by(TicketFieldValue.field_id))}
        choices = _choices(session)
    return render_template("ui/admin/org/fields.html", rows=rows, used=used, form=form, errors=result.errors,
                           problems=result.problems, type_labels=TYPE_LABELS, **choices), result.status


@bp.route("/org/fields/<name>", methods=["GET", "POST"])
@login_required("admin")
def org_field(name: str) -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else None
    if form is not None:
        def save(session: Any) -> str:
            row = custom_fields.get_field(session, name)
            done = custom_fields.update_field(session=session, field=row, changes=_posted(), actor=ui_actor())
            return f"Saved {row.name}." if done else f"Nothing changed for {row.name}."

        result = save_form(save)
        if result.ok:
            return redirect(url_for("ui_admin.org_fields"))
    with reading() as session:
        row = custom_fields.get_field(session, name)
        info = custom_fields.info_of(session, row)
        used = int(session.scalar(select(func.count()).select_from(TicketFieldValue)
                                  .where(TicketFieldValue.field_id == row.id)) or 0)
        shown: dict[str, Any] = dict(form) if form is not None else _shown(info)
        if form is not None:
            shown["required"] = form.get("required") == "on"
        choices = _choices(session)
    return render_template("ui/admin/org/field.html", item=info, form=shown, used=used, errors=result.errors,
                           problems=result.problems, **choices), result.status


@bp.post("/org/fields/<name>/delete")
@login_required("admin")
def org_field_delete(name: str) -> Any:
    with_values = request.form.get("with_values") == "on"

    def delete(session: Any) -> str:
        gone = custom_fields.delete_field(session=session, field=custom_fields.get_field(session, name),
                                          actor=ui_actor(), with_values=with_values)
        return f"Deleted the custom field {name}" + (f" and {gone} tickets' values." if gone else ".")

    result = save_form(delete)
    if result.ok:
        return redirect(url_for("ui_admin.org_fields"))
    for problem in result.problems:
        flash(problem, "error")
    return redirect(url_for("ui_admin.org_field", name=name) + "#delete")
