"""The log of admin changes to the organisation: who renamed, moved, merged or deleted what."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import OrgChange
from hub.sdk.actors import Actor

#: The kinds of organisation items, as the log, the API errors and the pages name them.
ITEM_LABELS = {"department": "department", "group": "group", "category": "category", "ci": "configuration item",
               "field": "custom field"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def record_change(session: Session, *, item_type: str, item_id: int, item_name: str, action: str,
                  actor: Actor | None, changes: dict[str, Any] | None = None) -> None:
    """Add one row to the log (in the caller's transaction)."""
    who = actor or Actor.system()
    session.add(OrgChange(
        at=runtime_of(session).now(), item_type=item_type, item_id=item_id, item_name=item_name[:200],
        action=action, actor_type=who.type, actor_name=who.name[:200], origin=who.origin[:120],
        changes={key: [_plain(v) for v in value] if isinstance(value, tuple | list) else _plain(value)
                 for key, value in (changes or {}).items()},
    ))


def changes_of(session: Session, item_type: str, item_id: int, *, limit: int = 100) -> list[OrgChange]:
    """The item's log, newest first."""
    query = (select(OrgChange).where(OrgChange.item_type == item_type, OrgChange.item_id == item_id)
             .order_by(OrgChange.id.desc()).limit(limit))
    return list(session.scalars(query))
