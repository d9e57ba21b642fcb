"""search vectors: a stored, weighted, stemmed search document per ticket

Revision ID: 0026_search_vectors
Revises: 0025_unread_events_index
Create Date: 2026-12-05

PostgreSQL: a generated ``tickets.search_vector`` column (title weight A, description B,
text-search configuration ``english``) with a GIN index replaces the expression index of
0005. The list's free-text filter walked the newest-first index and computed to_tsvector for
every row it passed (934 ms when the 100,000 newest tickets lack the word); a stored vector
makes that check a lookup. Adding a stored generated column rewrites the table under an
exclusive lock (about a minute per million tickets); operations.md says so.

SQLite: an FTS5 table over tickets' title and description (external content: it stores only
the index), Porter stemming on unicode61 words, kept in step by triggers and filled here.

Neither is in the models (hub.models.search_schema names them for the schema comparison).
A later migration that makes SQLite copy the tickets table (batch mode dropping or altering
a column) drops these triggers with the old table: it must run SQLITE_TRIGGERS again.
"""

from __future__ import annotations

from alembic import op

revision = "0026_search_vectors"
down_revision = "0025_unread_events_index"
branch_labels = None
depends_on = None

# The configuration hub.tracker.search queries with: both must name the same one.
VECTOR = ("setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
          "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')")
OLD_EXPRESSION = "to_tsvector('simple', title || ' ' || description)"

SQLITE_TABLE = ("CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, content='tickets', "
                "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')")
# External content: FTS5 deletes a row's words by being told the old values, so the delete
# and update triggers hand over exactly what the insert trigger indexed.
_REMOVE = ("INSERT INTO tickets_fts (tickets_fts, rowid, title, description) "
           "VALUES ('delete', old.id, old.title, old.description);")
_ADD = "INSERT INTO tickets_fts (rowid, title, description) VALUES (new.id, new.title, new.description);"
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN {_ADD} END",
    f"CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN {_REMOVE} END",
    f"CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets BEGIN {_REMOVE} {_ADD} END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tickets_search")
        op.execute(f"ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED")
        op.execute("CREATE INDEX ix_tickets_search_vector ON tickets USING gin (search_vector)")
        return
    op.execute(SQLITE_TABLE)
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)
    op.execute("INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tickets_search_vector")
        op.execute("ALTER TABLE tickets DROP COLUMN search_vector")
        op.execute(f"CREATE INDEX ix_tickets_search ON tickets USING gin ({OLD_EXPRESSION})")
        return
    for name in ("tickets_fts_insert", "tickets_fts_delete", "tickets_fts_update"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE tickets_fts")
