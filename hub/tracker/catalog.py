"""Admin services for the organisation: departments, groups, categories, configuration items."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Category, ConfigurationItem, Department, Group, User
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker.org import forget, id_for, name_for


def _department_id(session: Session, slug: str | None) -> int | None:
    if not slug:
        return None
    ident = id_for(session, "department", slug)
    if ident is None:
        raise ValidationFailed({"department": [f"No department {slug!r}."]})
    return ident


def create_department(*, session: Session, slug: str, name: str, email: str | None = None) -> Department:
    if id_for(session, "department", slug) is not None:
        raise Conflict(f"A department {slug!r} exists already.")
    department = Department(slug=slug, name=name, email=email)
    session.add(department)
    session.flush()
    return department


def create_group(*, session: Session, slug: str, name: str, email: str | None = None,
                 department: str | None = None, members: list[str] | None = None) -> Group:
    if id_for(session, "group", slug) is not None:
        raise Conflict(f"A group {slug!r} exists already.")
    users = []
    for username in members or []:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise ValidationFailed({"members": [f"No user {username!r}."]})
        users.append(user)
    group = Group(slug=slug, name=name, email=email, department_id=_department_id(session, department))
    group.members = users
    session.add(group)
    session.flush()
    return group


def create_category(*, session: Session, slug: str, name: str, department: str | None = None) -> Category:
    department_id = _department_id(session, department)
    exists = session.scalar(select(Category.id).where(Category.slug == slug, Category.department_id == department_id))
    if exists is not None:
        raise Conflict(f"A category {slug!r} exists already there.")
    category = Category(slug=slug, name=name, department_id=department_id)
    session.add(category)
    session.flush()
    return category


def create_ci(*, session: Session, key: str, name: str, kind: str = "service", parent: str | None = None,
              department: str | None = None, description: str | None = None) -> ConfigurationItem:
    if id_for(session, "ci", key) is not None:
        raise Conflict(f"A configuration item {key!r} exists already.")
    parent_id = None
    if parent:
        parent_id = id_for(session, "ci", parent)
        if parent_id is None:
            raise ValidationFailed({"parent": [f"No configuration item {parent!r}."]})
    item = ConfigurationItem(key=key, name=name, kind=kind, parent_id=parent_id,
                             department_id=_department_id(session, department), description=description)
    session.add(item)
    session.flush()
    forget(session)
    return item


def present(session: Session, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "name": row.name}
    for attribute in ("slug", "key", "email", "kind", "description"):
        if hasattr(row, attribute):
            out[attribute] = getattr(row, attribute)
    if hasattr(row, "department_id"):
        out["department"] = name_for(session, "department", row.department_id)
    if isinstance(row, ConfigurationItem):
        out["parent"] = name_for(session, "ci", row.parent_id)
    if isinstance(row, Group):
        out["members"] = list(session.scalars(
            select(User.username).join(Group.members).where(Group.id == row.id).order_by(User.username)
        ))
    return out


def list_rows(session: Session, model: Any) -> list[Any]:
    order = model.key if model is ConfigurationItem else model.slug
    return list(session.scalars(select(model).order_by(order)))
