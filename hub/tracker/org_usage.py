"""Deleting organisation items: refused while something uses them (with the reason), or merged.

What counts as use is what would be lost or left dangling: tickets (open or finished), the
department's groups, categories, items, users and connector instances, an item's children.
A group's members do not block: deleting the group is how they leave it. A merge moves all
of it onto another item of the same type, writes an audit row on every ticket it moves and
a row in the organisation's log for both items, then deletes the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Category, ConfigurationItem, ConnectorInstance, CustomField, Department, Group, Ticket, User
from hub.models.org import group_members
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker.ci_items import subtree_ids
from hub.tracker.org import announce_rename, forget
from hub.tracker.org_log import ITEM_LABELS, record_change
from hub.tracker.org_moves import move_rows, move_tickets
from hub.tracker.sla_clock import OPEN_STATES

MODELS: dict[str, Any] = {"department": Department, "group": Group, "category": Category, "ci": ConfigurationItem}
#: The column of a ticket that names each kind of item.
TICKET_COLUMNS = {"department": "department_id", "group": "group_id", "category": "category_id", "ci": "ci_id"}
#: How each count reads in a sentence: (one, many).
NOUNS = {
    "open_tickets": ("open ticket", "open tickets"),
    "finished_tickets": ("resolved or closed ticket", "resolved or closed tickets"),
    "groups": ("group", "groups"),
    "categories": ("category", "categories"),
    "items": ("configuration item", "configuration items"),
    "users": ("user", "users"),
    "instances": ("connector instance", "connector instances"),
    "fields": ("custom field", "custom fields"),
    "children": ("item below it", "items below it"),
    "members": ("member", "members"),
    "settings": ("setting that names it", "settings that name it"),
}
#: Counts that are told but do not stop a deletion.
NOT_BLOCKING = frozenset({"members"})


@dataclass
class Usage:
    """What uses an item, counted; only non-zero counts are kept, in NOUNS order."""

    counts: dict[str, int] = field(default_factory=dict)
    named_by: list[str] = field(default_factory=list)
    """What names it in settings (``routing rule night-shift``), for the ``settings`` count."""

    @property
    def blocking(self) -> dict[str, int]:
        return {name: count for name, count in self.counts.items() if name not in NOT_BLOCKING}

    def sentence(self, names: dict[str, int] | None = None) -> str:
        shown = self.counts if names is None else names
        parts = [f"{count} {NOUNS[name][0 if count == 1 else 1]}" for name, count in shown.items()
                 if name != "settings"]
        if shown.get("settings"):
            parts.append("named by " + ", ".join(dict.fromkeys(self.named_by)))
        return ", ".join(parts)


def label_of(item_type: str, item: Any) -> str:
    return f"{ITEM_LABELS[item_type].capitalize()} {name_of(item_type, item)!r}"


def name_of(item_type: str, item: Any) -> str:
    return str(item.key if item_type == "ci" else item.slug)


def _count(session: Session, model: Any, column: Any, value: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(column == value)) or 0)


def usage_of(session: Session, item_type: str, item: Any) -> Usage:
    """Count what uses the item: one query for its tickets, one per other kind of use."""
    column = getattr(Ticket, TICKET_COLUMNS[item_type])
    total, open_count = session.execute(select(
        func.count(), func.coalesce(func.sum(case((Ticket.status.in_(sorted(OPEN_STATES)), 1), else_=0)), 0),
    ).where(column == item.id)).one()
    counts = {"open_tickets": int(open_count), "finished_tickets": int(total) - int(open_count)}
    if item_type == "department":
        for name, model in (("groups", Group), ("categories", Category), ("items", ConfigurationItem),
                            ("users", User), ("instances", ConnectorInstance), ("fields", CustomField)):
            counts[name] = _count(session, model, model.department_id, item.id)
    elif item_type == "ci":
        counts["children"] = _count(session, ConfigurationItem, ConfigurationItem.parent_id, item.id)
    elif item_type == "group":
        counts["members"] = _count(session, group_members, group_members.c.group_id, item.id)
    named_by = references_to(session, item_type, name_of(item_type, item))
    counts["settings"] = len(named_by)
    return Usage({name: counts[name] for name in NOUNS if counts.get(name)}, named_by)


def references_to(session: Session, item_type: str, name: str) -> list[str]:
    """The owners of the settings that name the item (plugins' ``register_org_references``).

    A category's slug may be held by several departments' categories: the settings name
    the slug, so only the last category with it counts them."""
    if item_type == "category" and _count(session, Category, Category.slug, name) > 1:
        return []
    found = runtime_of(session).plugins.hook.register_org_references(session=session)
    return [ref.owner for refs in found if refs for ref in refs if ref.kind == item_type and ref.name == name]



def _remove(session: Session, item_type: str, item: Any) -> None:
    """Delete the row with core statements (the ORM would load the members' collection)."""
    model = MODELS[item_type]
    if item_type == "group":
        session.execute(delete(group_members).where(group_members.c.group_id == item.id))
    session.execute(delete(model).where(model.id == item.id))
    session.expunge(item)
    forget(session)


def delete_item(*, session: Session, item_type: str, item: Any, actor: Actor | None = None) -> Usage:
    """Delete the item unless something uses it: then Conflict, saying what (``in_use`` holds the counts).

    Settings that name it block too: a routing rule whose group vanished would send its
    tickets to the default group. A merge rewrites them instead (``announce_rename``)."""
    usage = usage_of(session, item_type, item)
    if usage.blocking:
        raise Conflict(f"{label_of(item_type, item)} is in use: {usage.sentence(usage.blocking)}. "
                       f"Merge it into another {ITEM_LABELS[item_type]}, or move these first.",
                       in_use=usage.blocking)
    record_change(session, item_type=item_type, item_id=item.id, item_name=name_of(item_type, item),
                  action="deleted", actor=actor, changes={"name": item.name, **usage.counts})
    _remove(session, item_type, item)
    return usage


def _check_target(session: Session, item_type: str, item: Any, into: Any) -> None:
    if into is None:
        raise ValidationFailed({"into": [f"Choose the {ITEM_LABELS[item_type]} to merge into."]})
    if into.id == item.id:
        raise ValidationFailed({"into": [f"Choose another {ITEM_LABELS[item_type]}: it cannot merge into itself."]})
    if item_type == "ci" and into.id in subtree_ids(session, item.id):
        raise ValidationFailed({"into": [f"{into.key} is inside {item.key}; merge into an item outside it."]})


def merge_item(*, session: Session, item_type: str, item: Any, into: Any, actor: Actor | None = None) -> dict[str, int]:
    """Move everything that uses ``item`` onto ``into``, then delete ``item``; returns what moved."""
    _check_target(session, item_type, item, into)
    old, new = name_of(item_type, item), name_of(item_type, into)
    note = f"{ITEM_LABELS[item_type].capitalize()} {old} merged into {new}."
    field_name = "ci" if item_type == "ci" else item_type
    moved = {"tickets": move_tickets(session, TICKET_COLUMNS[item_type], item.id, into.id, field_name, old, new,
                                     actor, note)}
    if item_type == "department":
        moved.update(_merge_department(session, item, into, actor))
    elif item_type == "ci":
        moved["children"] = move_rows(session, ConfigurationItem, "parent_id", item.id, into.id)
    elif item_type == "group":
        moved["members"] = _merge_members(session, item, into)
    record_change(session, item_type=item_type, item_id=item.id, item_name=old, action="merged", actor=actor,
                  changes={"into": new, **moved})
    record_change(session, item_type=item_type, item_id=into.id, item_name=new, action="absorbed", actor=actor,
                  changes={"from": old, **moved})
    _remove(session, item_type, item)
    announce_rename(session, item_type, old, new)
    return {name: count for name, count in moved.items() if count}


def _merge_department(session: Session, item: Department, into: Department, actor: Actor | None) -> dict[str, int]:
    moved = {name: move_rows(session, model, "department_id", item.id, into.id) for name, model in (
        ("groups", Group), ("items", ConfigurationItem), ("users", User), ("instances", ConnectorInstance),
        ("fields", CustomField))}
    # A category's slug is unique within its department: one the target has already merges into its twin.
    moved["categories"] = 0
    for category in list(session.scalars(select(Category).where(Category.department_id == item.id))):
        twin = session.scalar(select(Category).where(Category.department_id == into.id, Category.slug == category.slug))
        if twin is None:
            category.department_id = into.id
        else:
            merge_item(session=session, item_type="category", item=category, into=twin, actor=actor)
        moved["categories"] += 1
    session.flush()
    return moved


def _merge_members(session: Session, item: Group, into: Group) -> int:
    have = set(session.scalars(select(group_members.c.user_id).where(group_members.c.group_id == into.id)))
    joining = [user_id for user_id in session.scalars(
        select(group_members.c.user_id).where(group_members.c.group_id == item.id)) if user_id not in have]
    if joining:
        session.execute(group_members.insert(), [{"group_id": into.id, "user_id": user_id} for user_id in joining])
    return len(joining)


#: What a merge moved, as a sentence reads it: (one, many).
MOVED_NOUNS = {"tickets": ("ticket", "tickets"), "children": ("item below it", "items below it"),
               "members": ("member", "members"), "groups": ("group", "groups"),
               "categories": ("category", "categories"), "items": ("configuration item", "configuration items"),
               "users": ("user", "users"), "instances": ("connector instance", "connector instances"),
               "fields": ("custom field", "custom fields")}


def moved_sentence(moved: dict[str, int]) -> str:
    if not moved:
        return "nothing needed moving"
    parts = [f"{count} {MOVED_NOUNS.get(name, (name, name))[0 if count == 1 else 1]}" for name, count in moved.items()]
    return ", ".join(parts) + " moved"
