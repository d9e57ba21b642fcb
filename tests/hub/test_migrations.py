"""Migrations produce exactly the models' schema, and go down and up again.

Everything runs on SQLite (the README command) and, when HUB_TEST_DATABASE_URL is set
(``make test-services``), on PostgreSQL too. The full-text search structures differ by
database (hub.models.search_schema).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from hub.app import migrate
from hub.core.db import Database
from hub.models import Base
from hub.models.search_schema import is_model_name
from tests.support.databases import PG_URL
from tests.support.services import missing


def schema_diff(database: Database) -> list:
    with database.engine.connect() as connection:
        # The search structures live beside the models (hub.models.search_schema);
        # test_search_structures_follow_the_tickets checks them instead.
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": is_model_name})
        return compare_metadata(context, Base.metadata)


def test_migrations_equal_models(database_url: str) -> None:
    database = Database(database_url)
    assert migrate.current_revision(database) == migrate.head_revision()
    assert schema_diff(database) == []
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables at all, on each engine the suite can reach."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'cycle.sqlite3'}")
        yield database
        database.dispose()
        return
    if not PG_URL:
        missing("PostgreSQL", "HUB_TEST_DATABASE_URL is not set (`make test-services` sets it)")
    name = f"hub_migrations_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_down_to_base_and_up_again(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision()
    assert schema_diff(empty_database) == []
    migrate.downgrade(empty_database, "base")
    assert migrate.current_revision(empty_database) is None
    with empty_database.engine.connect() as connection:
        left = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert left == set(), f"tables left after downgrading to base: {sorted(left)}"
    migrate.upgrade(empty_database)
    assert schema_diff(empty_database) == []


def test_every_revision_has_a_downgrade_and_a_linear_history() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    heads = scripts.get_heads()
    assert len(heads) == 1, f"branching migrations: {heads}"
    for revision in scripts.walk_revisions():
        source = Path(revision.path).read_text()
        assert "def downgrade" in source and "\n    pass\n" not in source.split("def downgrade")[1], revision.revision


def test_database_url_in_use_is_what_the_suite_says(database_url: str) -> None:
    assert database_url.startswith("postgresql") == bool(PG_URL)


def test_the_readers_query_reads_the_unread_index(database_url: str) -> None:
    """A reader finds its instance's backlog through the partial index, on either database,
    not by walking every unread event of every instance (issue 23: 144 ms with a backlog)."""
    from hub.jobs.reader import unread_query

    database = Database(database_url)
    with database.Session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text("SET enable_seqscan = off"))
        compiled = str(unread_query(7).compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        plan = "\n".join(str(row[-1]) for row in session.execute(text(explain + compiled)).all())
        assert "ix_inbound_events_unread" in plan, plan
    database.dispose()


def test_search_reads_the_stored_search_structures(database_url: str) -> None:
    """The free-text filter reads what migration 0026 made: on PostgreSQL the stored vector
    its GIN index holds (not a to_tsvector per row, which walked 100,000 rows at 934 ms), on
    SQLite the FTS5 table the triggers keep in step."""
    from sqlalchemy import select

    from hub.models import Ticket
    from hub.models.search_schema import FTS_TABLE, SEARCH_COLUMN, SEARCH_INDEX
    from hub.tracker.search import text_match

    database = Database(database_url)
    with database.Session() as session:
        compiled = str(select(Ticket.id).where(text_match(session, "boiler pressure")).compile(session.get_bind()))
        if session.get_bind().dialect.name == "postgresql":
            definition = session.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                                        {"name": SEARCH_INDEX})
            assert definition and f"USING gin ({SEARCH_COLUMN})" in definition, definition
            assert f"tickets.{SEARCH_COLUMN} @@" in compiled and "to_tsvector" not in compiled, compiled
        else:
            triggers = set(session.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets'")))
            assert {f"{FTS_TABLE}_insert", f"{FTS_TABLE}_update", f"{FTS_TABLE}_delete"} <= triggers, triggers
            assert f"{FTS_TABLE} MATCH" in compiled, compiled
    database.dispose()
