"""Admin pages for configuration items: the tree (site -> line -> machine, building -> floor ->
room) with an add form, an item's edit page, its history, and deleting or merging it."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from hub.api.context import reading
from hub.models import CI_KINDS, CRITICALITIES, User
from hub.tracker import ci_items
from hub.tracker.ci_history import ci_history
from hub.tracker.org import id_for, name_for
from hub.ui.admin import bp
from hub.ui.admin_org import (
    FormResult,
    delete_or_merge,
    department_choices,
    describe_change,
    form_text,
    save_form,
    ui_actor,
    usage_for,
)
from hub.ui.auth import login_required
from hub.ui.forms import parse_int

#: The kind an item added below another usually is: a site holds lines, a line machines.
NEXT_KIND = {"site": "line", "line": "machine", "building": "floor", "floor": "room"}
FIELDS = ("key", "name", "kind", "parent", "owner", "criticality", "department", "description")


def _choices(session: Any, rows: list[ci_items.TreeRow]) -> dict[str, Any]:
    """Everything the item form offers: parents indented as in the tree, users, departments."""
    users = [(username, f"{display} ({username})" if display and display != username else username)
             for username, display in session.execute(select(User.username, User.display_name)
                                                       .where(User.active.is_(True)).order_by(User.username))]
    return {"parents": [(row.item.key, "\u2003" * row.depth + f"{row.item.name} ({row.item.kind})") for row in rows],
            "users": users, "departments": department_choices(session),
            "kinds": [(kind, kind) for kind in CI_KINDS], "criticalities": [(level, level) for level in CRITICALITIES]}


def _submitted() -> dict[str, Any]:
    return {name: form_text(name) for name in FIELDS}


@bp.route("/org/items", methods=["GET", "POST"])
@login_required("admin")
def org_items() -> Any:
    result, form = FormResult(), _submitted() if request.method == "POST" else {}
    if request.method == "POST":
        def create(session: Any) -> str:
            item = ci_items.create_ci(session=session, key=form["key"], name=form["name"], kind=form["kind"],
                                      parent=form["parent"] or None, department=form["department"] or None,
                                      description=form["description"] or None, owner=form["owner"] or None,
                                      criticality=form["criticality"], actor=ui_actor())
            return f"Added {item.name} ({item.key})."

        result = save_form(create)
        if result.ok:
            parent = form.get("parent")
            # Straight back to the form, below the same parent: a line's machines are added one after another.
            return redirect(url_for("ui_admin.org_items", parent=parent, kind=form["kind"]) + "#new-item"
                            if parent else url_for("ui_admin.org_items"))
    with reading() as session:
        rows = ci_items.ci_tree(session)
        choices = _choices(session, rows)
        if not form:
            form = _prefill(session)
    return render_template("ui/admin/org/items.html", rows=rows, form=form, errors=result.errors,
                           problems=result.problems, **choices), result.status


def _prefill(session: Any) -> dict[str, Any]:
    """The add form below the parent a link named (``?parent=<key>``), with the kind that usually goes there."""
    parent_key = request.args.get("parent", "")[:200]
    form: dict[str, Any] = {"kind": "service", "criticality": "medium"}
    parent_id = id_for(session, "ci", parent_key) if parent_key else None
    if parent_id is not None:
        parent = ci_items.get_ci(session, parent_id)
        wanted = request.args.get("kind", "")
        form.update(parent=parent.key, kind=wanted if wanted in CI_KINDS else NEXT_KIND.get(parent.kind, "service"),
                    key=parent.key + "/", department=name_for(session, "department", parent.department_id) or "",
                    owner=name_for(session, "user", parent.owner_id) or "")
    return form


def _shown(session: Any, item: Any) -> dict[str, Any]:
    return {"key": item.key, "name": item.name, "kind": item.kind, "criticality": item.criticality,
            "description": item.description or "", "parent": name_for(session, "ci", item.parent_id) or "",
            "owner": name_for(session, "user", item.owner_id) or "",
            "department": name_for(session, "department", item.department_id) or ""}


@bp.route("/org/items/<int:item_id>", methods=["GET", "POST"])
@login_required("admin")
def org_item(item_id: int) -> Any:
    result, form = FormResult(), _submitted() if request.method == "POST" else None
    if form is not None:
        def save(session: Any) -> str:
            item = ci_items.get_ci(session, item_id)
            done = ci_items.update_ci(session=session, item=item, actor=ui_actor(),
                                      changes={name: value or None for name, value in form.items()})
            return f"Saved {item.key}." if done else f"Nothing changed for {item.key}."

        result = save_form(save)
        if result.ok:
            return redirect(url_for("ui_admin.org_items"))
    with reading() as session:
        item = ci_items.get_ci(session, item_id)
        rows = ci_items.ci_tree(session)
        inside = set(ci_items.subtree_ids(session, item.id))
        choices = _choices(session, [row for row in rows if row.item.id not in inside])
        targets = [(row.item.key, label) for row, (_key, label) in zip(
            [row for row in rows if row.item.id not in inside], choices["parents"], strict=True)]
        usage = usage_for(session, "ci", item)
        path = ci_items.path_of(session, item.id)
        shown = form or _shown(session, item)
    return render_template("ui/admin/org/item.html", item=item, path=path, form=shown, usage=usage, targets=targets,
                           errors=result.errors, problems=result.problems, **choices), result.status


@bp.post("/org/items/<int:item_id>/delete")
@login_required("admin")
def org_item_delete(item_id: int) -> Any:
    return delete_or_merge("ci", lambda session: ci_items.get_ci(session, item_id), ci_items.get_ci_by_key, item_id)


@bp.get("/org/items/<int:item_id>/history")
@login_required("admin")
def org_item_history(item_id: int) -> Any:
    below = request.args.get("below") == "1"
    limit = parse_int(request.args.get("limit"), 100) or 100
    with reading() as session:
        item = ci_items.get_ci(session, item_id)
        history = ci_history(session, item, below=below, limit=max(1, min(limit, 500)))
        owner = name_for(session, "user", item.owner_id)
        department = name_for(session, "department", item.department_id)
    return render_template("ui/admin/org/history.html", history=history, item=item, owner=owner,
                           department=department, describe=describe_change)
