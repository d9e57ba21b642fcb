"""The free-text search structures migration 0026 makes beside the models.

Neither database's search index fits a model: PostgreSQL's is a generated ``tsvector``
column on tickets only it has (loading it with every ticket would cost for nothing), and
SQLite's is an FTS5 virtual table with its shadow tables and triggers. The schema
comparison (migrations/env.py, tests/hub/test_migrations.py) leaves these names out;
hub.tracker.search queries them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SEARCH_COLUMN = "search_vector"
"""PostgreSQL: tickets' weighted, stemmed document (title A, description B)."""
SEARCH_INDEX = "ix_tickets_search_vector"
"""PostgreSQL: the GIN index on SEARCH_COLUMN."""
FTS_TABLE = "tickets_fts"
"""SQLite: the FTS5 table over tickets' title and description (rowid = tickets.id)."""
SEARCH_CONFIG = "english"
"""The text-search configuration (PostgreSQL) the stored column was built with; SQLite's
Porter stemmer is English too, so both stem the same words."""


def is_model_name(name: str | None, type_: str, parent_names: Mapping[str, Any]) -> bool:
    """Alembic's ``include_name``: False for the search structures above, which the models
    do not describe, so comparing models with the database does not ask to drop them."""
    if type_ == "table":
        # FTS5 keeps its index in shadow tables named after the virtual table.
        return not (name == FTS_TABLE or (name or "").startswith(FTS_TABLE + "_"))
    if type_ == "column":
        return not (name == SEARCH_COLUMN and parent_names.get("table_name") == "tickets")
    if type_ == "index":
        return name != SEARCH_INDEX
    return True
