"""Finding the ticket an event concerns, and counting repeats on it.

An event can name its ticket four ways, tried in this order: a reference in its text
(``[INC-000042]``, accepted only from a participant when the source asks for that), a
message id it replies to, the id of the record in the source system (an external link),
or a correlation key shared by repeats of one problem (an alarm's site/line/machine/code).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import CorrelationKey, ExternalLink, ThreadKey, Ticket, User
from hub.tracker.states import MACHINES, kind_of_ref


@dataclass
class Target:
    ticket: Ticket
    via: str
    """``ref``, ``thread``, ``link`` or ``correlation``."""
    reason: str
    link: ExternalLink | None = None
    key: CorrelationKey | None = None


def insert_ignoring_conflict(session: Session, table: Any, values: dict[str, Any], keys: list[str]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the primary key (None on conflict)."""
    return session.execute(ignoring_conflict(session.get_bind().dialect.name, table, keys), values).scalar()


def insert_many_ignoring_conflict(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """The same for many rows in one statement; returns how many were inserted."""
    return len(session.execute(ignoring_conflict(session.get_bind().dialect.name, table, keys), rows).all())


def ignoring_conflict(name: str, table: Any, keys: list[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO NOTHING RETURNING the primary key, for the dialect ``name``."""
    cache_key = (name, table.name, tuple(keys))
    statement = _INSERT_IGNORING.get(cache_key)
    if statement is None:
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if name == "postgresql" else sqlite
        primary = next(iter(table.primary_key.columns))
        # Built once and given the values as parameters: building the statement anew cost
        # as much as running it, on the ingest path's hottest line.
        statement = dialect.insert(table).on_conflict_do_nothing(index_elements=keys).returning(primary)
        _INSERT_IGNORING[cache_key] = statement
    return statement


_INSERT_IGNORING: dict[tuple[str, str, tuple[str, ...]], Any] = {}
_LINK_EXISTS = select(ExternalLink.id).where(ExternalLink.instance_id == bindparam("instance_id"),
                                             ExternalLink.external_id == bindparam("external_id")).limit(1)


def is_participant(session: Session, ticket: Ticket, email: str | None) -> bool:
    """The requester, or anyone with a hub account (agents answer from their own mail)."""
    if not email:
        return False
    email = email.lower()
    if ticket.requester_email and ticket.requester_email.lower() == email:
        return True
    return session.scalar(select(User.id).where(func.lower(User.email) == email, User.active.is_(True))) is not None


def by_ref(session: Session, ref: str, *, sender: str | None, require_participant: bool) -> Target | None:
    if kind_of_ref(ref) is None:
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.ref == ref.upper()))
    if ticket is None:
        return None
    if require_participant and not is_participant(session, ticket, sender):
        return None
    return Target(ticket, "ref", f"Names {ticket.ref} in its subject.")


def by_thread(session: Session, thread_ids: list[str]) -> Target | None:
    keys = [key for key in thread_ids if key][:50]
    if not keys:
        return None
    row = session.execute(
        select(ThreadKey.key, Ticket).join(Ticket, Ticket.id == ThreadKey.ticket_id)
        .where(ThreadKey.key.in_(keys)).order_by(ThreadKey.created_at.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return Target(row[1], "thread", f"Replies to message {row[0]} of {row[1].ref}.")


def remember_thread_key(session: Session, ticket_id: int, key: str | None) -> None:
    if key:
        insert_ignoring_conflict(session, ThreadKey.__table__,
                                 {"key": key[:255], "ticket_id": ticket_id, "created_at": runtime_of(session).now()},
                                 ["key"])


def thread_keys_of(session: Session, ticket_id: int, *, limit: int = 50) -> list[str]:
    """The ticket's thread keys, oldest first (the first is usually the mail that opened it)."""
    rows = session.scalars(select(ThreadKey.key).where(ThreadKey.ticket_id == ticket_id)
                           .order_by(ThreadKey.created_at, ThreadKey.key).limit(limit))
    return list(rows)


def by_link(session: Session, instance_id: int, external_id: str) -> Target | None:
    # Most events name a record seen for the first time: a bare lookup answers those
    # without the cost of loading two ORM objects.
    if session.scalar(_LINK_EXISTS, {"instance_id": instance_id, "external_id": external_id}) is None:
        return None
    row = session.execute(
        select(ExternalLink, Ticket).join(Ticket, Ticket.id == ExternalLink.ticket_id)
        .where(ExternalLink.instance_id == instance_id, ExternalLink.external_id == external_id)
    ).first()
    if row is None:
        return None
    link, ticket = row
    return Target(ticket, "link", f"Linked to {external_id} in this source.", link=link)


def scoped_key(instance_id: int, key: str) -> str:
    """Correlation keys are per instance: two lines may both have a 'filler-2'."""
    return f"{instance_id}:{key}"[:255]


def claim_key(session: Session, key: str, *, reopen: bool) -> tuple[bool, Target | None]:
    """Claim a correlation key for a new ticket, or find the ticket that holds it.

    Returns ``(True, None)`` when this transaction now owns the key (the caller makes
    the ticket and calls :func:`bind_key`), else ``(False, target)``. On PostgreSQL a
    concurrent claimer waits here until the winner commits, then sees its ticket.
    """
    now = runtime_of(session).now()
    claimed = insert_ignoring_conflict(session, CorrelationKey.__table__,
                                       {"key": key, "ticket_id": None, "reopen": reopen, "created_at": now}, ["key"])
    if claimed is not None:
        return True, None
    row = session.execute(
        select(CorrelationKey, Ticket).join(Ticket, Ticket.id == CorrelationKey.ticket_id)
        .where(CorrelationKey.key == key)
    ).first()
    if row is None:  # the holder was closed between our insert and this read; try once more
        claimed = insert_ignoring_conflict(session, CorrelationKey.__table__,
                                           {"key": key, "ticket_id": None, "reopen": reopen, "created_at": now},
                                           ["key"])
        return (True, None) if claimed is not None else (False, None)
    held, ticket = row
    return False, Target(ticket, "correlation", f"Same correlation key as {ticket.ref}.", key=held)


def bind_key(session: Session, key: str, ticket_id: int) -> None:
    session.execute(update(CorrelationKey).where(CorrelationKey.key == key).values(ticket_id=ticket_id))


def take_over_key(session: Session, key: str, from_ticket_id: int, *, reopen: bool) -> bool:
    """Take a key from the ticket holding it (its correlation window passed) for a new ticket.

    True when this transaction now owns the key (the caller makes the ticket and calls
    :func:`bind_key`); False when a concurrent event took it first. On PostgreSQL that
    one's row lock makes this wait, and the condition then finds the key moved on.
    """
    moved = session.execute(update(CorrelationKey).where(CorrelationKey.key == key,
                                                         CorrelationKey.ticket_id == from_ticket_id)
                            .values(ticket_id=None, reopen=reopen))
    return bool(getattr(moved, "rowcount", 0))


def is_linked(session: Session, instance_id: int, external_id: str) -> bool:
    """Whether a ticket is already linked to ``external_id`` of this instance."""
    return session.scalar(_LINK_EXISTS, {"instance_id": instance_id, "external_id": external_id}) is not None


def release_key(session: Session, key: str) -> None:
    session.execute(delete(CorrelationKey).where(CorrelationKey.key == key))


def peek_key(session: Session, key: str) -> Target | None:
    row = session.execute(
        select(CorrelationKey, Ticket).join(Ticket, Ticket.id == CorrelationKey.ticket_id)
        .where(CorrelationKey.key == key)
    ).first()
    if row is None:
        return None
    return Target(row[1], "correlation", f"Same correlation key as {row[1].ref}.", key=row[0])


def peek_keys(session: Session, keys: Iterable[str]) -> dict[str, Target]:
    """:func:`peek_key` for many keys in one query (keys held by no ticket are left out)."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Target] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(CorrelationKey, Ticket).join(Ticket, Ticket.id == CorrelationKey.ticket_id)
            .where(CorrelationKey.key.in_(wanted[start:start + 500])))
        for held, ticket in rows:
            found[held.key] = Target(ticket, "correlation", f"Same correlation key as {ticket.ref}.", key=held)
    return found


def count_occurrences(session: Session, counts: Mapping[int, tuple[int, Any]]) -> dict[int, int]:
    """Count occurrences on many tickets in one statement: ``{ticket_id: (count, last_seen)}``
    (a None last_seen means now); returns each ticket's new total."""
    if not counts:
        return {}
    now = runtime_of(session).now()
    ids = list(counts)
    totals = dict(session.execute(
        update(Ticket).where(Ticket.id.in_(ids))
        .values(occurrence_count=Ticket.occurrence_count + case({i: counts[i][0] for i in ids}, value=Ticket.id),
                last_seen_at=case({i: counts[i][1] or now for i in ids}, value=Ticket.id),
                updated_at=now, version=Ticket.version + 1)
        .returning(Ticket.id, Ticket.occurrence_count)
        .execution_options(synchronize_session=False)
    ).all())
    for ticket in session.identity_map.values():
        if isinstance(ticket, Ticket) and ticket.id in totals:
            session.expire(ticket, ["occurrence_count", "last_seen_at", "updated_at", "version"])
    return {int(i): int(total) for i, total in totals.items()}


def record_occurrence(session: Session, ticket: Ticket, at: Any = None) -> int:
    """Count one more occurrence atomically (no lost increments under concurrency)."""
    return record_occurrences(session, ticket, 1, at)


def record_occurrences(session: Session, ticket: Ticket, count: int, at: Any = None) -> int:
    """Count ``count`` more occurrences in one statement; returns the new total."""
    now = at or runtime_of(session).now()
    total = session.execute(
        update(Ticket).where(Ticket.id == ticket.id)
        .values(occurrence_count=Ticket.occurrence_count + count, last_seen_at=now,
                updated_at=runtime_of(session).now(), version=Ticket.version + 1)
        .returning(Ticket.occurrence_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.expire(ticket, ["occurrence_count", "last_seen_at", "updated_at", "version"])
    return int(total)


def is_open(ticket: Ticket) -> bool:
    return ticket.status in MACHINES[ticket.kind].open_states
