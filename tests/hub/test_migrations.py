"""Migrations produce exactly the models' schema, and go down and up again."""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.app import migrate
from hub.core.db import Database
from hub.models import Base
from tests.support.databases import PG_URL


def schema_diff(database: Database) -> list:
    with database.engine.connect() as connection, warnings.catch_warnings():
        # Alembic warns that it cannot compare expression indexes (full-text search);
        # those are checked by name in test_search_index_exists instead.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    # Alembic cannot compare expression indexes reliably; the search index is checked by
    # test_search_index_is_used_on_postgresql instead.
    return [change for change in diff if not (isinstance(change, tuple) and len(change) > 1
                                               and getattr(change[1], "name", None) == "ix_tickets_search")]


def test_migrations_equal_models(database_url: str) -> None:
    database = Database(database_url)
    assert migrate.current_revision(database) == migrate.head_revision()
    assert schema_diff(database) == []
    database.dispose()


def test_down_to_base_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cycle.sqlite3'}"
    database = Database(url)
    migrate.upgrade(database)
    migrate.downgrade(database, "base")
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert schema_diff(database) == []
    database.dispose()


def test_every_revision_has_a_downgrade_and_a_linear_history() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    heads = scripts.get_heads()
    assert len(heads) == 1, f"branching migrations: {heads}"
    for revision in scripts.walk_revisions():
        source = Path(revision.path).read_text()
        assert "def downgrade" in source and "\n    pass\n" not in source.split("def downgrade")[1], revision.revision


def test_search_index_is_used_on_postgresql(database_url: str) -> None:
    """The free-text filter's SQL must match the indexed expression, or the index is useless."""
    if not database_url.startswith("postgresql"):
        return
    from sqlalchemy import select, text

    from hub.models import Ticket
    from hub.tracker.queries import text_match

    database = Database(database_url)
    with database.Session() as session:
        names = session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets'")).all()
        assert "ix_tickets_search" in names
        session.execute(text("SET enable_seqscan = off"))
        query = select(Ticket.id).where(text_match(session, "boiler pressure"))
        compiled = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = "\n".join(session.execute(text("EXPLAIN " + compiled)).scalars().all())
        assert "ix_tickets_search" in plan, plan
    database.dispose()


def test_database_url_in_use_is_what_the_suite_says(database_url: str) -> None:
    assert database_url.startswith("postgresql") == bool(PG_URL)
