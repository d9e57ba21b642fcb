"""Departments, categories, groups, configuration items and users: lookups by name.

Sources and the API name these by slug (or key, or username); tickets store ids. The
lookups are cached per runtime because they sit on the ingest path and change rarely.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Category, ConfigurationItem, Department, Group, User
from hub.sdk.tracker_errors import NotFound, ValidationFailed

CACHE_SECONDS = 60.0
_SLUG = re.compile(r"[^a-z0-9]+")

_BY_NAME: dict[str, tuple[Any, str]] = {
    "department": (Department, "slug"),
    "group": (Group, "slug"),
    "ci": (ConfigurationItem, "key"),
    "user": (User, "username"),
}


def slugify(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:64] or "item"


def _cache(session: Session) -> dict[tuple[str, Any], tuple[float, Any]]:
    return runtime_of(session).caches.setdefault("org", {})


def _cached(session: Session, key: tuple[str, Any], load: Any) -> Any:
    cache = _cache(session)
    hit = cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load()
    if value is not None:
        cache[key] = (now, value)
    return value


def forget(session: Session) -> None:
    """Drop cached names after an admin renames or deletes something."""
    _cache(session).clear()


def announce_rename(session: Session, item_type: str, old: str, new: str) -> None:
    """Tell plugins (and the hub's keeper of names in settings) that ``old`` is now ``new``
    (hook ``org_item_renamed``), once ``old`` names nothing any more: another department's
    category may still have the slug, and then settings naming it still mean that one."""
    if old == new or (item_type == "category" and session.scalar(select(Category.id).where(Category.slug == old))):
        return
    runtime_of(session).plugins.hook.org_item_renamed(item_type=item_type, old=old, new=new, session=session)


def id_for(session: Session, what: str, name: str) -> int | None:
    """The id of the department/group/ci/user with this slug, key or username."""
    model, column = _BY_NAME[what]

    def load() -> int | None:
        return session.scalar(select(model.id).where(getattr(model, column) == name))

    return _cached(session, (what, name), load)


def name_for(session: Session, what: str, ident: int | None) -> str | None:
    """The slug, key or username of the row with this id."""
    if ident is None:
        return None
    model, column = _BY_NAME.get(what) or (Category, "slug")

    def load() -> str | None:
        return session.scalar(select(getattr(model, column)).where(model.id == ident))

    return _cached(session, (what + "#", ident), load)


#: What people read for each kind of row: its name, a person's display name (their login
#: when they have none). Slugs, keys and usernames are for sources and the API.
_LABELS: dict[str, tuple[Any, str]] = {
    "department": (Department, "name"),
    "group": (Group, "name"),
    "category": (Category, "name"),
}


def label_for(session: Session, what: str, ident: int | None) -> str | None:
    """The name people read for the department/group/ci/category/user with this id."""
    if ident is None:
        return None

    def load() -> str | None:
        if what == "user":
            row = session.execute(select(User.display_name, User.username).where(User.id == ident)).first()
            return (row.display_name or row.username) if row is not None else None
        if what == "ci":  # "Capper (plant-a/line-3/capper)": the name, and the key that says where it is
            item = session.execute(select(ConfigurationItem.name, ConfigurationItem.key)
                                   .where(ConfigurationItem.id == ident)).first()
            if item is None:
                return None
            return item.key if not item.name or item.name == item.key else f"{item.name} ({item.key})"
        model, column = _LABELS[what]
        return session.scalar(select(getattr(model, column)).where(model.id == ident)) or name_for(session, what, ident)

    return _cached(session, (what + "@", ident), load)


def category_id(session: Session, slug: str, department_id: int | None, *, create: bool) -> int | None:
    def load() -> int | None:
        query = select(Category.id).where(Category.slug == slug)
        query = query.where(Category.department_id == department_id) if department_id else query
        return session.scalars(query.order_by(Category.department_id.is_(None))).first()

    found = _cached(session, ("category", (slug, department_id)), load)
    if found is None and create:
        category = Category(slug=slugify(slug), name=slug.replace("-", " ").capitalize(),
                            department_id=department_id)
        session.add(category)
        session.flush()
        found = category.id
    return found


def ci_id(session: Session, key: str, *, name: str | None = None, kind: str | None = None,
          department_id: int | None = None, create: bool) -> int | None:
    found = id_for(session, "ci", key)
    if found is None and create:
        item = ConfigurationItem(key=key[:200], name=(name or key.rsplit("/", 1)[-1])[:200],
                                 kind=kind or "service", department_id=department_id)
        session.add(item)
        session.flush()
        found = item.id
    return found


def resolve_names(session: Session, values: dict[str, Any], *, create_loose: bool) -> dict[str, Any]:
    """Turn the names in ``values`` (department, category, ci, group, assignee) into ids.

    Departments, groups and assignees must exist (a field error otherwise); categories
    and configuration items are made on first use when ``create_loose`` (sources name
    machines and categories before an admin has entered them).
    """
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    department_id = None
    if values.get("department"):
        department_id = id_for(session, "department", values["department"])
        if department_id is None:
            errors["department"] = [f"No department {values['department']!r}."]
    if "department" in values:
        out["department_id"] = department_id
    for field_name, what, column in (("group", "group", "group_id"), ("assignee", "user", "assignee_id")):
        if field_name in values:
            name = values[field_name]
            ident = id_for(session, what, name) if name else None
            if name and ident is None:
                errors[field_name] = [f"No {what} {name!r}."]
            out[column] = ident
    if "category" in values:
        name = values["category"]
        ident = category_id(session, name, department_id, create=create_loose) if name else None
        if name and ident is None:
            errors["category"] = [f"No category {name!r}."]
        out["category_id"] = ident
    if "ci" in values:
        key = values["ci"]
        ident = ci_id(session, key, name=values.get("ci_name"), kind=values.get("ci_kind"),
                      department_id=department_id, create=create_loose) if key else None
        if key and ident is None:
            errors["ci"] = [f"No configuration item {key!r}."]
        out["ci_id"] = ident
    if errors:
        raise ValidationFailed(errors)
    return out


def get_department(session: Session, slug: str) -> Department:
    department = session.scalar(select(Department).where(Department.slug == slug))
    if department is None:
        raise NotFound(f"No department {slug!r}.")
    return department


def departments(session: Session) -> list[tuple[str, str]]:
    """Every department as ``(slug, name)``, by slug (not cached: reports read it once)."""
    return [(slug, name) for slug, name in session.execute(
        select(Department.slug, Department.name).order_by(Department.slug))]
