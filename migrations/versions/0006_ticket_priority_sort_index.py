"""an index for the ticket list sorted by priority

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

sort=priority pages by (priority, id); without an index in that order PostgreSQL sorted
the whole table for every page (150 ms at a million tickets).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_kind_priority_id", "tickets", ["kind", "priority", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_kind_priority_id", table_name="tickets")
