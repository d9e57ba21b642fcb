"""Admin pages for departments and categories: lists with an add form, an edit page each,
deleting (refused in use, with the reason) or merging into another."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub.api.context import reading
from hub.models import Category, ConfigurationItem, Department, Group, Ticket
from hub.sdk.tracker_errors import NotFound, ValidationFailed
from hub.tracker import catalog
from hub.tracker.org import name_for
from hub.ui.admin import bp
from hub.ui.admin_org import (
    FormResult,
    delete_or_merge,
    department_choices,
    form_text,
    open_counts,
    save_form,
    slug_or_name,
    ui_actor,
    usage_for,
)
from hub.ui.auth import login_required
from hub.ui.forms import parse_int


def _per_department(session: Any, model: Any) -> dict[int, int]:
    rows = session.execute(select(model.department_id, func.count()).where(model.department_id.is_not(None))
                           .group_by(model.department_id))
    return {int(ident): int(count) for ident, count in rows}


@bp.route("/org/departments", methods=["GET", "POST"])
@login_required("admin")
def org_departments() -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        result = save_form(lambda session: "Added department " + catalog.create_department(
            session=session, slug=slug_or_name(), name=form_text("name"), email=form_text("email") or None,
            actor=ui_actor()).slug + ".")
        if result.ok:
            return redirect(url_for("ui_admin.org_departments"))
    with reading() as session:
        rows = list(session.scalars(select(Department).order_by(Department.name)))
        counts = {"groups": _per_department(session, Group), "categories": _per_department(session, Category),
                  "items": _per_department(session, ConfigurationItem),
                  "open": open_counts(session, Ticket.department_id)}
    return render_template("ui/admin/org/departments.html", rows=rows, counts=counts, form=form,
                           errors=result.errors, problems=result.problems), result.status


@bp.route("/org/departments/<slug>", methods=["GET", "POST"])
@login_required("admin")
def org_department(slug: str) -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else None
    if form is not None:
        def save(session: Any) -> str:
            department = catalog.get_department(session, slug)
            done = catalog.update_department(session=session, department=department, actor=ui_actor(), changes={
                "slug": form_text("slug"), "name": form_text("name"), "email": form_text("email") or None})
            return f"Saved {department.slug}." if done else f"Nothing changed for {department.slug}."

        result = save_form(save)
        if result.ok:
            return redirect(url_for("ui_admin.org_departments"))
    with reading() as session:
        department = catalog.get_department(session, slug)
        usage = usage_for(session, "department", department)
        others = [(s, n) for s, n in department_choices(session) if s != department.slug]
        shown = form or {"slug": department.slug, "name": department.name, "email": department.email or ""}
    return render_template("ui/admin/org/department.html", item=department, form=shown, usage=usage,
                           targets=others, errors=result.errors, problems=result.problems), result.status


@bp.post("/org/departments/<slug>/delete")
@login_required("admin")
def org_department_delete(slug: str) -> Any:
    return delete_or_merge("department", lambda session: catalog.get_department(session, slug),
                           catalog.get_department, slug)


def _category_label(session: Any, category: Category) -> str:
    department = name_for(session, "department", category.department_id)
    return f"{category.name} ({category.slug}{' · ' + department if department else ''})"


@bp.route("/org/categories", methods=["GET", "POST"])
@login_required("admin")
def org_categories() -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        result = save_form(lambda session: "Added category " + catalog.create_category(
            session=session, slug=slug_or_name(), name=form_text("name"),
            department=form_text("department") or None, actor=ui_actor()).slug + ".")
        if result.ok:
            return redirect(url_for("ui_admin.org_categories"))
    with reading() as session:
        rows = [(category, name_for(session, "department", category.department_id)) for category in
                session.scalars(select(Category).order_by(Category.name, Category.id))]
        counts = open_counts(session, Ticket.category_id)
        departments = department_choices(session)
    return render_template("ui/admin/org/categories.html", rows=rows, counts=counts, departments=departments,
                           form=form, errors=result.errors, problems=result.problems), result.status


@bp.route("/org/categories/<int:category_id>", methods=["GET", "POST"])
@login_required("admin")
def org_category(category_id: int) -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else None
    if form is not None:
        def save(session: Any) -> str:
            category = catalog.get_category(session, category_id)
            done = catalog.update_category(session=session, category=category, actor=ui_actor(), changes={
                "slug": form_text("slug"), "name": form_text("name"), "department": form_text("department") or None})
            return f"Saved {category.slug}." if done else f"Nothing changed for {category.slug}."

        result = save_form(save)
        if result.ok:
            return redirect(url_for("ui_admin.org_categories"))
    with reading() as session:
        category = catalog.get_category(session, category_id)
        usage = usage_for(session, "category", category)
        targets = [(str(other.id), _category_label(session, other)) for other in
                   session.scalars(select(Category).where(Category.id != category.id).order_by(Category.name))]
        shown = form or {"slug": category.slug, "name": category.name,
                         "department": name_for(session, "department", category.department_id) or ""}
        departments = department_choices(session)
    return render_template("ui/admin/org/category.html", item=category, form=shown, usage=usage, targets=targets,
                           departments=departments, errors=result.errors, problems=result.problems), result.status


def _category_target(session: Any, value: str) -> Category:
    ident = parse_int(value)
    if ident is None or ident < 1:
        raise ValidationFailed({"into": ["Choose a category from the list."]})
    try:
        return catalog.get_category(session, ident)
    except NotFound as exc:
        raise ValidationFailed({"into": [exc.detail]}) from None


@bp.post("/org/categories/<int:category_id>/delete")
@login_required("admin")
def org_category_delete(category_id: int) -> Any:
    return delete_or_merge("category", lambda session: catalog.get_category(session, category_id),
                           _category_target, category_id)
