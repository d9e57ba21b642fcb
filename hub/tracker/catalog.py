"""Admin services for the organisation: departments, groups and categories (items: hub.tracker.ci_items).

Each create and update checks its input itself (the pages and the CLI call these without the
API's schemas), names related rows by slug, and writes a row to the organisation's log.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Category, ConfigurationItem, Department, Group, User
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker.group_members import member_users
from hub.tracker.org import announce_rename, forget, id_for, name_for
from hub.tracker.org_log import record_change

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
SLUG_RULE = "Lower-case letters, digits and dashes, at most 64, starting with a letter or digit."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Changes = dict[str, list[Any]]


class Checks:
    """Field errors collected across one form, raised together so a person fixes them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)

    def slug(self, value: Any, field_name: str = "slug") -> str:
        text = str(value or "").strip()
        if not SLUG_PATTERN.match(text):
            self.add(field_name, SLUG_RULE if text else "Required. " + SLUG_RULE)
        return text

    def name(self, value: Any, field_name: str = "name", limit: int = 200) -> str:
        text = " ".join(str(value or "").split())
        if not text:
            self.add(field_name, "Required.")
        elif len(text) > limit:
            self.add(field_name, f"At most {limit} characters.")
        return text

    def email(self, value: Any) -> str | None:
        text = str(value or "").strip()
        if text and (len(text) > 320 or not _EMAIL.match(text)):
            self.add("email", "Not a valid email address.")
        return text or None

    def department(self, session: Session, slug: Any) -> int | None:
        if not slug:
            return None
        ident = id_for(session, "department", str(slug))
        if ident is None:
            self.add("department", f"No department {slug!r}.")
        return ident

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def set_value(item: Any, column: str, value: Any, changes: Changes, field_name: str | None = None,
              shown: tuple[Any, Any] | None = None) -> None:
    """Set one column and note ``[old, new]`` under the field's name when it changed."""
    old = getattr(item, column)
    if old != value:
        setattr(item, column, value)
        changes[field_name or column] = list(shown) if shown else [old, value]


# -- departments -------------------------------------------------------------------------

def get_department(session: Session, slug: str) -> Department:
    department = session.scalar(select(Department).where(Department.slug == slug))
    if department is None:
        raise NotFound(f"No department {slug!r}.")
    return department


def create_department(*, session: Session, slug: str, name: str, email: str | None = None,
                      actor: Actor | None = None) -> Department:
    checks = Checks()
    slug, name, email = checks.slug(slug), checks.name(name), checks.email(email)
    checks.done()
    if id_for(session, "department", slug) is not None:
        raise Conflict(f"A department {slug!r} exists already.")
    department = Department(slug=slug, name=name, email=email)
    session.add(department)
    session.flush()
    record_change(session, item_type="department", item_id=department.id, item_name=slug, action="created",
                  actor=actor, changes={"name": name})
    return department


def update_department(*, session: Session, department: Department, changes: dict[str, Any],
                      actor: Actor | None = None) -> Changes:
    """Change the fields given in ``changes`` (slug, name, email); returns ``{field: [old, new]}``."""
    checks = Checks()
    wanted = _wanted(checks, changes, ("slug", "name", "email"))
    checks.done()
    if "slug" in wanted and wanted["slug"] != department.slug and id_for(session, "department", wanted["slug"]):
        raise Conflict(f"A department {wanted['slug']!r} exists already.")
    done: Changes = {}
    old_slug = department.slug
    for column, value in wanted.items():
        set_value(department, column, value, done)
    return _finish(session, "department", department.id, old_slug, done, actor)


# -- groups ------------------------------------------------------------------------------

def get_group(session: Session, slug: str) -> Group:
    group = session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        raise NotFound(f"No group {slug!r}.")
    return group


def create_group(*, session: Session, slug: str, name: str, email: str | None = None,
                 department: str | None = None, members: list[str] | None = None,
                 actor: Actor | None = None) -> Group:
    checks = Checks()
    slug, name, email = checks.slug(slug), checks.name(name), checks.email(email)
    department_id = checks.department(session, department)
    users = member_users(session, members or [], checks)
    checks.done()
    if id_for(session, "group", slug) is not None:
        raise Conflict(f"A group {slug!r} exists already.")
    group = Group(slug=slug, name=name, email=email, department_id=department_id)
    group.members = users
    session.add(group)
    session.flush()
    record_change(session, item_type="group", item_id=group.id, item_name=slug, action="created", actor=actor,
                  changes={"name": name, "department": department, "members": [u.username for u in users]})
    return group


def update_group(*, session: Session, group: Group, changes: dict[str, Any], actor: Actor | None = None) -> Changes:
    """Change slug, name, email or department (a slug, or None for none); members: hub.tracker.group_members."""
    checks = Checks()
    wanted = _wanted(checks, changes, ("slug", "name", "email"))
    department_id = checks.department(session, changes.get("department")) if "department" in changes else None
    checks.done()
    if "slug" in wanted and wanted["slug"] != group.slug and id_for(session, "group", wanted["slug"]):
        raise Conflict(f"A group {wanted['slug']!r} exists already.")
    done: Changes = {}
    old_slug = group.slug
    for column, value in wanted.items():
        set_value(group, column, value, done)
    if "department" in changes:
        set_value(group, "department_id", department_id, done, "department",
                  (name_for(session, "department", group.department_id), changes.get("department") or None))
    return _finish(session, "group", group.id, old_slug, done, actor)


# -- categories --------------------------------------------------------------------------

def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(f"No category {category_id}.")
    return category


def _category_taken(session: Session, slug: str, department_id: int | None, but: int | None = None) -> None:
    query = select(Category.id).where(Category.slug == slug, Category.department_id.is_(None) if department_id is None
                                      else Category.department_id == department_id)
    found = session.scalar(query.where(Category.id != but) if but else query)
    if found is not None:
        where = f"department {name_for(session, 'department', department_id)!r}" if department_id else "no department"
        raise Conflict(f"A category {slug!r} exists already in {where}.")


def create_category(*, session: Session, slug: str, name: str, department: str | None = None,
                    actor: Actor | None = None) -> Category:
    checks = Checks()
    slug, name = checks.slug(slug), checks.name(name)
    department_id = checks.department(session, department)
    checks.done()
    _category_taken(session, slug, department_id)
    category = Category(slug=slug, name=name, department_id=department_id)
    session.add(category)
    session.flush()
    record_change(session, item_type="category", item_id=category.id, item_name=slug, action="created",
                  actor=actor, changes={"name": name, "department": department})
    return category


def update_category(*, session: Session, category: Category, changes: dict[str, Any],
                    actor: Actor | None = None) -> Changes:
    """Change slug, name or department (the slug stays unique within its department)."""
    checks = Checks()
    wanted = _wanted(checks, changes, ("slug", "name"))
    department_id = (checks.department(session, changes.get("department")) if "department" in changes
                     else category.department_id)
    checks.done()
    _category_taken(session, wanted.get("slug", category.slug), department_id, but=category.id)
    done: Changes = {}
    old_slug = category.slug
    for column, value in wanted.items():
        set_value(category, column, value, done)
    if "department" in changes:
        set_value(category, "department_id", department_id, done, "department",
                  (name_for(session, "department", category.department_id), changes.get("department") or None))
    return _finish(session, "category", category.id, old_slug, done, actor)


# -- shared ------------------------------------------------------------------------------

def _wanted(checks: Checks, changes: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """The checked values of the plain fields in ``changes``; other names are field errors."""
    wanted: dict[str, Any] = {}
    for field_name, value in changes.items():
        if field_name == "slug" and "slug" in allowed:
            wanted["slug"] = checks.slug(value)
        elif field_name == "name" and "name" in allowed:
            wanted["name"] = checks.name(value)
        elif field_name == "email" and "email" in allowed:
            wanted["email"] = checks.email(value)
    return wanted


def _finish(session: Session, item_type: str, item_id: int, old_name: str, done: Changes,
            actor: Actor | None) -> Changes:
    if done:
        session.flush()
        forget(session)  # renamed slugs must not resolve to the old id, nor old ids to old names
        record_change(session, item_type=item_type, item_id=item_id, item_name=old_name, action="updated",
                      actor=actor, changes=done)
        if "slug" in done:  # settings naming the old slug follow it
            announce_rename(session, item_type, old_name, done["slug"][1])
    return done


def present(session: Session, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "name": row.name}
    for attribute in ("slug", "key", "email", "kind", "description", "criticality"):
        if hasattr(row, attribute):
            out[attribute] = getattr(row, attribute)
    if hasattr(row, "department_id"):
        out["department"] = name_for(session, "department", row.department_id)
    if isinstance(row, ConfigurationItem):
        out["parent"] = name_for(session, "ci", row.parent_id)
        out["owner"] = name_for(session, "user", row.owner_id)
    if isinstance(row, Group):
        out["members"] = list(session.scalars(
            select(User.username).join(Group.members).where(Group.id == row.id).order_by(User.username)
        ))
    return out


def list_rows(session: Session, model: Any) -> list[Any]:
    order = model.key if model is ConfigurationItem else model.slug
    return list(session.scalars(select(model).order_by(order)))
