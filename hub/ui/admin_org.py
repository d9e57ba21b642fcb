"""Admin pages for the organisation: the overview, and what every section shares (saving a
form with readable field errors, the delete-or-merge action). Sections: admin_org_pages
(departments, categories), admin_groups, admin_cis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub.api.context import actor, reading, unit_of_work
from hub.models import Category, ConfigurationItem, CustomField, Department, Group, OrgChange, Ticket, User
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.tracker import org_usage
from hub.tracker.org import slugify
from hub.tracker.org_log import ITEM_LABELS
from hub.tracker.sla_clock import OPEN_STATES
from hub.ui.admin import bp
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, field_errors


@dataclass
class FormResult:
    """What a posted form came to: saved (``ok``), or the errors to show beside its fields."""

    ok: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return 422 if self.problems else 200


def save_form(action: Callable[[Any], str]) -> FormResult:
    """Run ``action(session)`` in one transaction; flash its message, or collect what went wrong."""
    try:
        with unit_of_work() as session:
            message = action(session)
    except ValidationFailed as exc:
        return FormResult(errors=field_errors(exc), problems=[exc.detail + " Check the fields marked."])
    except TrackerError as exc:
        errors = {str(exc.extra["field"]): [exc.detail]} if exc.extra.get("field") else {}
        return FormResult(errors=errors, problems=[describe_error(exc)])
    flash(message, "success")
    return FormResult(ok=True)


def form_text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def slug_or_name() -> str:
    """The slug typed, or one made from the name (an admin need not invent both)."""
    slug, name = form_text("slug"), form_text("name")
    return slug or (slugify(name) if name else "")


def ui_actor() -> Any:
    return actor("ui")


def department_choices(session: Any) -> list[tuple[str, str]]:
    return [(slug, name) for slug, name in session.execute(
        select(Department.slug, Department.name).order_by(Department.name))]


def open_counts(session: Any, column: Any) -> dict[int, int]:
    """Open tickets per item, in one grouped query."""
    rows = session.execute(select(column, func.count()).where(column.is_not(None),
                                                              Ticket.status.in_(sorted(OPEN_STATES)))
                           .group_by(column))
    return {int(ident): int(count) for ident, count in rows}


def describe_change(row: OrgChange) -> str:
    """One line of the organisation's log as a person reads it."""
    parts = []
    for name, value in (row.changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{name}: {value[0] if value[0] not in (None, '') else '—'} → "
                         f"{value[1] if value[1] not in (None, '') else '—'}")
        elif value not in (None, "", []):
            parts.append(f"{name}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    return "; ".join(parts)


@bp.get("/org/")
@login_required("admin")
def org_index() -> Any:
    with reading() as session:
        counts = {name: int(session.scalar(select(func.count()).select_from(model)) or 0) for name, model in (
            ("departments", Department), ("groups", Group), ("categories", Category), ("items", ConfigurationItem),
            ("fields", CustomField))}
        log = list(session.scalars(select(OrgChange).order_by(OrgChange.id.desc()).limit(30)))
    return render_template("ui/admin/org/index.html", counts=counts, log=log, labels=ITEM_LABELS,
                           describe=describe_change)


#: Where each kind of item's pages live: (endpoint of its page, url variable, endpoint of its list).
PAGES = {"department": ("ui_admin.org_department", "slug", "ui_admin.org_departments"),
         "group": ("ui_admin.org_group", "slug", "ui_admin.org_groups"),
         "category": ("ui_admin.org_category", "category_id", "ui_admin.org_categories"),
         "ci": ("ui_admin.org_item", "item_id", "ui_admin.org_items")}


def delete_or_merge(item_type: str, find: Callable[[Any], Any], find_target: Callable[[Any, str], Any],
                    ident: Any) -> Any:
    """The delete form of every item page: with a target chosen, merge into it; without, delete."""
    page, variable, listing = PAGES[item_type]
    into, merging = form_text("into"), form_text("action") == "merge"
    message = ""
    try:
        with unit_of_work() as session:
            item = find(session)
            name = org_usage.name_of(item_type, item)
            if merging and not into:
                raise ValidationFailed({"into": [f"Choose the {ITEM_LABELS[item_type]} to merge {name} into."]})
            if merging:
                target = find_target(session, into)
                moved = org_usage.merge_item(session=session, item_type=item_type, item=item, into=target,
                                             actor=ui_actor())
                target_name = org_usage.name_of(item_type, target)
                message = f"Merged {name} into {target_name} ({org_usage.moved_sentence(moved)})."
            else:
                org_usage.delete_item(session=session, item_type=item_type, item=item, actor=ui_actor())
                message = f"Deleted {name}."
    except ValidationFailed as exc:  # the one field here is the merge target: its message alone reads best
        flash(" ".join(text for texts in exc.errors.values() for text in texts), "error")
        return redirect(url_for(page, **{variable: ident}) + "#delete")
    except TrackerError as exc:
        flash(describe_error(exc), "error")
        return redirect(url_for(page, **{variable: ident}) + "#delete")
    flash(message, "success")
    return redirect(url_for(listing))


def usage_for(session: Any, item_type: str, item: Any) -> org_usage.Usage:
    return org_usage.usage_of(session, item_type, item)


def agent_choices(session: Any) -> list[tuple[str, str]]:
    """Active agents and admins: who may join a group or own an item."""
    rows = session.execute(select(User.username, User.display_name).where(
        User.active.is_(True), User.role.in_(("agent", "admin"))).order_by(User.username))
    return [(username, f"{display} ({username})" if display and display != username else username)
            for username, display in rows]
