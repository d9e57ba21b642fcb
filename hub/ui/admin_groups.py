"""Admin pages for assignment groups: the list with an add form, and a group's page with its
members (add and remove agents), its details, and deleting or merging it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub.api.context import reading, unit_of_work
from hub.models import Group, Ticket, User
from hub.models.org import group_members
from hub.tracker import catalog
from hub.tracker.group_members import add_member, members_of, remove_member
from hub.tracker.org import name_for
from hub.ui.admin import bp
from hub.ui.admin_org import (
    FormResult,
    agent_choices,
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
from hub.ui.forms import flashing_errors


@bp.route("/org/groups", methods=["GET", "POST"])
@login_required("admin")
def org_groups() -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        slug = slug_or_name()

        def create(session: Any) -> str:
            group = catalog.create_group(session=session, slug=slug, name=form_text("name"),
                                         email=form_text("email") or None, department=form_text("department") or None,
                                         actor=ui_actor())
            return f"Added group {group.slug}. Add its members below."

        result = save_form(create)
        if result.ok:
            return redirect(url_for("ui_admin.org_group", slug=slug) + "#members")
    with reading() as session:
        rows = [(group, name_for(session, "department", group.department_id)) for group in
                session.scalars(select(Group).order_by(Group.name))]
        members = {int(ident): int(count) for ident, count in session.execute(
            select(group_members.c.group_id, func.count()).group_by(group_members.c.group_id))}
        counts = open_counts(session, Ticket.group_id)
        departments = department_choices(session)
    return render_template("ui/admin/org/groups.html", rows=rows, members=members, counts=counts,
                           departments=departments, form=form, errors=result.errors,
                           problems=result.problems), result.status


@bp.route("/org/groups/<slug>", methods=["GET", "POST"])
@login_required("admin")
def org_group(slug: str) -> Any:
    result, form = FormResult(), request.form.to_dict() if request.method == "POST" else None
    if form is not None:
        def save(session: Any) -> str:
            group = catalog.get_group(session, slug)
            done = catalog.update_group(session=session, group=group, actor=ui_actor(), changes={
                "slug": form_text("slug"), "name": form_text("name"), "email": form_text("email") or None,
                "department": form_text("department") or None})
            return f"Saved {group.slug}." if done else f"Nothing changed for {group.slug}."

        result = save_form(save)
        if result.ok:
            return redirect(url_for("ui_admin.org_group", slug=form_text("slug") or slug))
    with reading() as session:
        group = catalog.get_group(session, slug)
        members: list[User] = members_of(session, group)
        inside = {user.username for user in members}
        candidates = [(name, label) for name, label in agent_choices(session) if name not in inside]
        usage = usage_for(session, "group", group)
        targets = [(s, n) for s, n in session.execute(select(Group.slug, Group.name).where(Group.id != group.id)
                                                       .order_by(Group.name))]
        shown = form or {"slug": group.slug, "name": group.name, "email": group.email or "",
                         "department": name_for(session, "department", group.department_id) or ""}
        departments = department_choices(session)
    return render_template("ui/admin/org/group.html", item=group, members=members, candidates=candidates,
                           usage=usage, targets=targets, departments=departments, form=shown, errors=result.errors,
                           problems=result.problems), result.status


@bp.post("/org/groups/<slug>/members")
@login_required("admin")
def org_group_member_add(slug: str) -> Any:
    username = form_text("username")
    done = None
    with flashing_errors(), unit_of_work() as session:
        group = catalog.get_group(session, slug)
        added = add_member(session=session, group=group, username=username, actor=ui_actor())
        done = f"Added {username} to {group.name}." if added else f"{username} is in {group.name} already."
    if done:
        flash(done, "success")
    return redirect(url_for("ui_admin.org_group", slug=slug) + "#members")


@bp.post("/org/groups/<slug>/members/<username>/remove")
@login_required("admin")
def org_group_member_remove(slug: str, username: str) -> Any:
    done = None
    with flashing_errors(), unit_of_work() as session:
        group = catalog.get_group(session, slug)
        removed = remove_member(session=session, group=group, username=username, actor=ui_actor())
        done = f"Removed {username} from {group.name}." if removed else f"{username} was not in {group.name}."
    if done:
        flash(done, "success")
    return redirect(url_for("ui_admin.org_group", slug=slug) + "#members")


@bp.post("/org/groups/<slug>/delete")
@login_required("admin")
def org_group_delete(slug: str) -> Any:
    return delete_or_merge("group", lambda session: catalog.get_group(session, slug), catalog.get_group, slug)
