"""The change calendar: planned windows by site and line, collisions between changes on one
configuration item (or its parent or child), and freeze windows per site.

A collision or a freeze blocks approving and scheduling a change unless the person doing it
gives a reason to override (audited). Items form a tree (site -> line -> machine); two
changes collide when their windows overlap and one's item is the other's, or above or
below it: a line's changeover and a machine's repair on that line at the same hour do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.models import ConfigurationItem, FreezeWindow, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker import audit

#: Changes that hold their window: everything but those that will not happen.
NOT_HAPPENING = ("cancelled", "rejected", "draft")
MAX_DEPTH = 32  # a guard against a loop in the hierarchy (the org services refuse them anyway)
MAX_RANGE_DAYS = 400


@dataclass(frozen=True)
class CalendarEntry:
    ref: str
    title: str
    status: str
    change_type: str | None
    risk: str | None
    start: datetime
    end: datetime
    ci: str | None
    ci_name: str | None
    site: str | None
    line: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Freeze:
    id: int
    site: str | None
    """The site's key; None: every site."""
    site_name: str | None
    starts_at: datetime
    ends_at: datetime
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Tree:
    """The configuration items' parent links, read once for a request."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(ConfigurationItem.id, ConfigurationItem.parent_id, ConfigurationItem.kind,
                                      ConfigurationItem.key, ConfigurationItem.name)).all()
        self.parent = {row.id: row.parent_id for row in rows}
        self.kind = {row.id: row.kind for row in rows}
        self.key = {row.id: row.key for row in rows}
        self.name = {row.id: row.name for row in rows}
        self.children: dict[int, list[int]] = {}
        for row in rows:
            if row.parent_id is not None:
                self.children.setdefault(row.parent_id, []).append(row.id)

    def ancestors(self, item_id: int) -> list[int]:
        found: list[int] = []
        current = self.parent.get(item_id)
        while current is not None and current not in found and len(found) < MAX_DEPTH:
            found.append(current)
            current = self.parent.get(current)
        return found

    def descendants(self, item_id: int) -> set[int]:
        found: set[int] = set()
        todo = list(self.children.get(item_id, []))
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.children.get(current, []))
        return found

    def up_to(self, item_id: int | None, kind: str) -> int | None:
        """The item itself or its nearest ancestor of ``kind`` (a machine's line, a line's site)."""
        if item_id is None:
            return None
        for candidate in [item_id, *self.ancestors(item_id)]:
            if self.kind.get(candidate) == kind:
                return candidate
        return None


def _find_item(session: Session, key: str, field_name: str) -> int:
    found = session.scalar(select(ConfigurationItem.id).where(ConfigurationItem.key == key))
    if found is None:
        raise ValidationFailed({field_name: [f"No configuration item {key!r}."]})
    return int(found)


def _entry(ticket: Ticket, tree: _Tree) -> CalendarEntry:
    assert ticket.planned_start is not None
    assert ticket.planned_end is not None
    site, line = tree.up_to(ticket.ci_id, "site"), tree.up_to(ticket.ci_id, "line")
    return CalendarEntry(
        ref=ticket.ref, title=ticket.title, status=ticket.status, change_type=ticket.change_type, risk=ticket.risk,
        start=ticket.planned_start, end=ticket.planned_end,
        ci=tree.key.get(ticket.ci_id) if ticket.ci_id else None,
        ci_name=tree.name.get(ticket.ci_id) if ticket.ci_id else None,
        site=tree.key.get(site) if site else None, line=tree.key.get(line) if line else None)


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed({"to": ["Must be after from."]})
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed({"to": [f"Ask for at most {MAX_RANGE_DAYS} days at once."]})


def calendar(session: Session, *, start: datetime, end: datetime, site: str | None = None,
             line: str | None = None) -> tuple[list[CalendarEntry], list[Freeze]]:
    """The changes planned in ``[start, end)`` (at the site or line and under it), and the
    freeze windows that cover it, both by start time."""
    check_range(start, end)
    tree = _Tree(session)
    query = select(Ticket).where(Ticket.kind == "change", Ticket.planned_start < end, Ticket.planned_end > start,
                                 Ticket.status.not_in(("cancelled",))).order_by(Ticket.planned_start, Ticket.id)
    scope: set[int] | None = None
    where = line or site
    if where:
        root = _find_item(session, where, "line" if line else "site")
        scope = {root} | tree.descendants(root)
        query = query.where(Ticket.ci_id.in_(scope))
    entries = [_entry(ticket, tree) for ticket in session.scalars(query.limit(5000))]
    site_id = _find_item(session, site, "site") if site else None
    return entries, freezes_between(session, start, end, tree=tree, site_id=site_id)


def freezes_between(session: Session, start: datetime, end: datetime, *, tree: _Tree | None = None,
                    site_id: int | None = None, covering: int | None = None) -> list[Freeze]:
    """Freeze windows overlapping ``[start, end)``: everywhere ones and the site's (``site_id``),
    or those over an item (``covering``: its own and its ancestors')."""
    tree = tree or _Tree(session)
    query = select(FreezeWindow).where(FreezeWindow.starts_at < end, FreezeWindow.ends_at > start)
    if covering is not None:
        query = query.where(or_(FreezeWindow.site_id.is_(None),
                                FreezeWindow.site_id.in_([covering, *tree.ancestors(covering)])))
    elif site_id is not None:
        query = query.where(or_(FreezeWindow.site_id.is_(None), FreezeWindow.site_id == site_id))
    return [Freeze(id=row.id, site=tree.key.get(row.site_id) if row.site_id else None,
                   site_name=tree.name.get(row.site_id) if row.site_id else None,
                   starts_at=row.starts_at, ends_at=row.ends_at, reason=row.reason)
            for row in session.scalars(query.order_by(FreezeWindow.starts_at, FreezeWindow.id))]


@dataclass(frozen=True)
class ScheduleCheck:
    """What stands in a change's way: other changes at once on its item's branch, and freezes."""

    collisions: list[CalendarEntry]
    freezes: list[Freeze]

    @property
    def clear(self) -> bool:
        return not self.collisions and not self.freezes

    def summary(self) -> str:
        parts = [f"collides with {e.ref} on {e.ci_name or e.ci} ({e.start:%Y-%m-%d %H:%M}-{e.end:%H:%M} UTC)"
                 for e in self.collisions]
        parts += [f"falls in the freeze {f.reason!r} ({f.starts_at:%Y-%m-%d} to {f.ends_at:%Y-%m-%d}"
                  f"{' at ' + (f.site_name or f.site or '') if f.site else ', every site'})" for f in self.freezes]
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"clear": self.clear, "collisions": [e.as_dict() for e in self.collisions],
                "freezes": [f.as_dict() for f in self.freezes]}


def check_schedule(session: Session, ticket: Ticket) -> ScheduleCheck:
    """The change's collisions and freezes; clear when it has no planned window."""
    if ticket.kind != "change" or ticket.planned_start is None or ticket.planned_end is None:
        return ScheduleCheck([], [])
    tree = _Tree(session)
    collisions: list[CalendarEntry] = []
    if ticket.ci_id is not None:
        branch = {ticket.ci_id, *tree.ancestors(ticket.ci_id), *tree.descendants(ticket.ci_id)}
        others = session.scalars(select(Ticket).where(
            Ticket.kind == "change", Ticket.id != ticket.id, Ticket.ci_id.in_(branch),
            Ticket.planned_start < ticket.planned_end, Ticket.planned_end > ticket.planned_start,
            Ticket.status.not_in((*NOT_HAPPENING, "closed", "failed", "backed_out")))
            .order_by(Ticket.planned_start, Ticket.id).limit(50))
        collisions = [_entry(other, tree) for other in others]
    if ticket.ci_id is not None:
        freezes = freezes_between(session, ticket.planned_start, ticket.planned_end, tree=tree, covering=ticket.ci_id)
    else:
        # A change on no item is held by the freezes that cover every site.
        freezes = [f for f in freezes_between(session, ticket.planned_start, ticket.planned_end, tree=tree)
                   if f.site is None]
    return ScheduleCheck(collisions, freezes)


def enforce_schedule(session: Session, ticket: Ticket, *, actor: Actor, step: str,
                     override_reason: str | None = None) -> ScheduleCheck:
    """Refuse ``step`` (approving, scheduling) of a change that collides or falls in a freeze
    (409), unless ``override_reason`` says why it goes ahead anyway: then it is audited."""
    check = check_schedule(session, ticket)
    if check.clear:
        return check
    reason = (override_reason or "").strip()
    if not reason:
        raise Conflict(f"{ticket.ref} {check.summary()}. Move its window, or give a reason to override "
                       f"(override_reason) to go ahead with {step}.",
                       collisions=[e.ref for e in check.collisions], freezes=[f.id for f in check.freezes])
    audit.record(session, ticket, "schedule_override", actor,
                 {"step": step, "collisions": [e.ref for e in check.collisions],
                  "freezes": [f.id for f in check.freezes]}, reason[:2000])
    return check


# --------------------------------------------------------------------------------------
# Admin services: freeze windows.
# --------------------------------------------------------------------------------------


def list_freezes(session: Session) -> list[Freeze]:
    tree = _Tree(session)
    return [Freeze(id=row.id, site=tree.key.get(row.site_id) if row.site_id else None,
                   site_name=tree.name.get(row.site_id) if row.site_id else None,
                   starts_at=row.starts_at, ends_at=row.ends_at, reason=row.reason)
            for row in session.scalars(select(FreezeWindow).order_by(FreezeWindow.starts_at, FreezeWindow.id))]


def create_freeze(*, session: Session, site: str | None, starts_at: datetime, ends_at: datetime, reason: str,
                  actor: Actor | None = None) -> FreezeWindow:
    """A freeze at a site (its key; None: every site) from ``starts_at`` to ``ends_at``."""
    errors: dict[str, list[str]] = {}
    site_id = None
    if site:
        row = session.scalar(select(ConfigurationItem).where(ConfigurationItem.key == site))
        if row is None:
            errors["site"] = [f"No configuration item {site!r}."]
        else:
            site_id = row.id
    if ends_at <= starts_at:
        errors["ends_at"] = ["Must be after starts_at."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why changes are frozen: people asking for one read it."]
    if errors:
        raise ValidationFailed(errors)
    window = FreezeWindow(site_id=site_id, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:500])
    session.add(window)
    session.flush()
    from hub.tracker.org_log import record_change

    record_change(session, item_type="freeze", item_id=window.id, item_name=site or "every site",
                  action="created", actor=actor, changes={"starts_at": starts_at, "ends_at": ends_at,
                                                          "reason": window.reason})
    return window


def delete_freeze(*, session: Session, freeze_id: int, actor: Actor | None = None) -> None:
    from hub.sdk.tracker_errors import NotFound
    from hub.tracker.org_log import record_change

    window = session.get(FreezeWindow, freeze_id)
    if window is None:
        raise NotFound(f"No freeze window {freeze_id}.")
    record_change(session, item_type="freeze", item_id=window.id, item_name=str(window.site_id or "every site"),
                  action="deleted", actor=actor, changes={"reason": window.reason})
    session.delete(window)
    session.flush()
