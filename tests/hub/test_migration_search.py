"""Migration 0026_search_vectors on a database that has tickets: the tickets already there
are found (backfilled), and going down restores the old search index."""

from __future__ import annotations

from sqlalchemy import select, text

from hub.app import migrate
from hub.core.db import Database
from hub.models import Ticket
from hub.tracker.search import text_match
from tests.hub.test_migration_problems import TICKET
from tests.hub.test_migrations import empty_database  # noqa: F401  (the fixture, on each engine)

BEFORE = "0025_unread_events_index"
AFTER = "0026_search_vectors"


def found(database: Database, q: str) -> list[str]:
    with database.Session() as session:
        return list(session.scalars(select(Ticket.ref).where(text_match(session, q)).order_by(Ticket.id)))


def test_up_indexes_the_tickets_there_and_down_restores_the_old_index(empty_database: Database) -> None:  # noqa: F811
    migrate.upgrade(empty_database, BEFORE)
    with empty_database.engine.begin() as connection:
        for number, title in ((1, "Boiler leaking"), (2, "Towels not replaced")):
            connection.execute(text(TICKET), {"kind": "incident", "number": number, "ref": f"INC-00000{number}",
                                              "title": title, "status": "new"})
    migrate.upgrade(empty_database, AFTER)
    assert found(empty_database, "leaks") == ["INC-000001"]
    assert found(empty_database, "towel") == ["INC-000002"]

    migrate.downgrade(empty_database, BEFORE)
    with empty_database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = set(connection.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets'")))
            assert "ix_tickets_search" in names and "ix_tickets_search_vector" not in names
        else:
            names = set(connection.scalars(text("SELECT name FROM sqlite_master")))
            assert not {name for name in names if name.startswith("tickets_fts")}, names
        assert connection.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 2
    migrate.upgrade(empty_database)
    assert found(empty_database, "leaking") == ["INC-000001"]
