"""full-text search on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The ticket list's free-text search uses to_tsvector('simple', title || ' ' || description);
a GIN index on that expression keeps it fast at a million tickets. SQLite searches with
LIKE and needs nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EXPRESSION = "to_tsvector('simple', title || ' ' || description)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_tickets_search ON tickets USING gin ({EXPRESSION})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_tickets_search")
