"""Configuration items as a hierarchy: site -> line -> machine, building -> floor -> room.

An item names its parent, owner (a user) and department; the parent chain never loops, so
every item's path from its top is finite and the tree can be drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import CI_KINDS, CRITICALITIES, ConfigurationItem, Ticket, User
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound
from hub.tracker.catalog import Changes, Checks, set_value
from hub.tracker.field_values import follow_renamed_ci
from hub.tracker.org import announce_rename, forget, id_for, name_for
from hub.tracker.org_log import record_change
from hub.tracker.sla_clock import OPEN_STATES


def get_ci(session: Session, item_id: int) -> ConfigurationItem:
    item = session.get(ConfigurationItem, item_id)
    if item is None:
        raise NotFound(f"No configuration item {item_id}.")
    return item


def get_ci_by_key(session: Session, key: str) -> ConfigurationItem:
    item = session.scalar(select(ConfigurationItem).where(ConfigurationItem.key == key))
    if item is None:
        raise NotFound(f"No configuration item {key!r}.")
    return item


def _key(checks: Checks, value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        checks.add("key", "Required: how sources name it, e.g. plant-a/line-3/filler-2.")
    elif len(text) > 200:
        checks.add("key", "At most 200 characters.")
    return text


def _choice(checks: Checks, field_name: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value or "").strip()
    if text not in choices:
        checks.add(field_name, f"One of: {', '.join(choices)}.")
    return text


def _owner(session: Session, checks: Checks, username: Any) -> int | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == str(username).strip()))
    if user is None:
        checks.add("owner", f"No user {username!r}.")
        return None
    return user.id


def _parent(session: Session, checks: Checks, key: Any) -> int | None:
    if not key:
        return None
    ident = id_for(session, "ci", str(key).strip())
    if ident is None:
        checks.add("parent", f"No configuration item {key!r}.")
    return ident


def path_of(session: Session, item_id: int | None) -> list[ConfigurationItem]:
    """The item and its parents, top first (a loop left by older data stops the walk)."""
    chain: list[ConfigurationItem] = []
    seen: set[int] = set()
    while item_id is not None and item_id not in seen:
        seen.add(item_id)
        item = session.get(ConfigurationItem, item_id)
        if item is None:
            break
        chain.append(item)
        item_id = item.parent_id
    return chain[::-1]


def _refuse_cycle(session: Session, item: ConfigurationItem, parent_id: int | None) -> None:
    if parent_id is None:
        return
    if parent_id == item.id:
        raise Conflict(f"{item.key} cannot be its own parent.", field="parent")
    chain = path_of(session, parent_id)
    if any(step.id == item.id for step in chain):
        trail = " > ".join(step.key for step in chain)
        raise Conflict(f"{chain[-1].key} cannot be the parent of {item.key}: it is inside {item.key} ({trail}). "
                       f"The hierarchy must not loop.", field="parent")


def create_ci(*, session: Session, key: str, name: str, kind: str = "service", parent: str | None = None,
              department: str | None = None, description: str | None = None, owner: str | None = None,
              criticality: str = "medium", actor: Actor | None = None) -> ConfigurationItem:
    checks = Checks()
    key, name = _key(checks, key), checks.name(name)
    kind = _choice(checks, "kind", kind or "service", CI_KINDS)
    criticality = _choice(checks, "criticality", criticality or "medium", CRITICALITIES)
    parent_id, owner_id = _parent(session, checks, parent), _owner(session, checks, owner)
    department_id = checks.department(session, department)
    checks.done()
    if id_for(session, "ci", key) is not None:
        raise Conflict(f"A configuration item {key!r} exists already.")
    item = ConfigurationItem(key=key, name=name, kind=kind, parent_id=parent_id, department_id=department_id,
                             description=(description or "").strip() or None, owner_id=owner_id,
                             criticality=criticality)
    session.add(item)
    session.flush()
    forget(session)
    record_change(session, item_type="ci", item_id=item.id, item_name=key, action="created", actor=actor,
                  changes={"name": name, "kind": kind, "parent": parent or None, "criticality": criticality})
    return item


def update_ci(*, session: Session, item: ConfigurationItem, changes: dict[str, Any],
              actor: Actor | None = None) -> Changes:
    """Change any of key, name, kind, parent (a key), department (a slug), owner (a username),
    criticality, description; a parent inside the item itself is refused."""
    checks = Checks()
    plain: dict[str, Any] = {}
    if "key" in changes:
        plain["key"] = _key(checks, changes["key"])
    if "name" in changes:
        plain["name"] = checks.name(changes["name"])
    if "kind" in changes:
        plain["kind"] = _choice(checks, "kind", changes["kind"], CI_KINDS)
    if "criticality" in changes:
        plain["criticality"] = _choice(checks, "criticality", changes["criticality"], CRITICALITIES)
    if "description" in changes:
        plain["description"] = str(changes["description"] or "").strip() or None
    named = {column: finder(session, checks, changes.get(field_name)) for field_name, column, finder in (
        ("parent", "parent_id", _parent), ("owner", "owner_id", _owner),
        ("department", "department_id", lambda s, c, v: c.department(s, v))) if field_name in changes}
    checks.done()
    if plain.get("key", item.key) != item.key and id_for(session, "ci", plain["key"]) is not None:
        raise Conflict(f"A configuration item {plain['key']!r} exists already.")
    if "parent_id" in named:
        _refuse_cycle(session, item, named["parent_id"])
    done: Changes = {}
    old_key = item.key
    for column, value in plain.items():
        set_value(item, column, value, done)
    for (field_name, what), column in ((("parent", "ci"), "parent_id"), (("owner", "user"), "owner_id"),
                                       (("department", "department"), "department_id")):
        if column in named:
            set_value(item, column, named[column], done, field_name,
                      (name_for(session, what, getattr(item, column)), changes.get(field_name) or None))
    if done:
        session.flush()
        forget(session)
        record_change(session, item_type="ci", item_id=item.id, item_name=old_key, action="updated", actor=actor,
                      changes=done)
        if "key" in done:  # settings naming the old key follow it, and so do custom fields naming the item
            announce_rename(session, "ci", old_key, item.key)
            follow_renamed_ci(session, item.id, item.key)
    return done


@dataclass(frozen=True)
class TreeRow:
    """One item in the drawn tree: its depth under its top item and its open tickets."""

    item: ConfigurationItem
    depth: int
    open_tickets: int
    children: int


def ci_tree(session: Session) -> list[TreeRow]:
    """Every item, each below its parent, siblings by name: the order the admin page draws.

    Two queries whatever the size (items, open tickets per item); an item whose parent
    chain loops (data older than the cycle check) is drawn at the top rather than lost.
    """
    items = list(session.scalars(select(ConfigurationItem).order_by(ConfigurationItem.name, ConfigurationItem.id)))
    open_counts = dict(session.execute(select(Ticket.ci_id, func.count()).where(
        Ticket.ci_id.is_not(None), Ticket.status.in_(sorted(OPEN_STATES))).group_by(Ticket.ci_id)).all())
    known = {item.id for item in items}
    below: dict[int | None, list[ConfigurationItem]] = {}
    for item in items:
        below.setdefault(item.parent_id if item.parent_id in known else None, []).append(item)
    rows: list[TreeRow] = []
    placed: set[int] = set()

    def walk(top: ConfigurationItem, depth: int) -> None:
        # A stack, not recursion: a chain deeper than Python's recursion limit still draws.
        stack = [(top, depth)]
        while stack:
            item, level = stack.pop()
            if item.id in placed:
                continue
            placed.add(item.id)
            children = below.get(item.id, [])
            rows.append(TreeRow(item, level, open_counts.get(item.id, 0), len(children)))
            stack.extend((child, level + 1) for child in reversed(children))

    for item in below.get(None, []):
        walk(item, 0)
    for item in items:  # members of a loop: no path from the top reaches them
        if item.id not in placed:
            walk(item, 0)
    return rows


def subtree_ids(session: Session, item_id: int) -> list[int]:
    """The item and everything below it, at any depth."""
    pairs = session.execute(select(ConfigurationItem.id, ConfigurationItem.parent_id)).all()
    below: dict[int, list[int]] = {}
    for ident, parent_id in pairs:
        if parent_id is not None:
            below.setdefault(parent_id, []).append(ident)
    found, todo = [item_id], [item_id]
    seen = {item_id}
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                found.append(child)
                todo.append(child)
    return found
