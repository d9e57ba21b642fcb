"""partial indexes for the Insights figures: survey comments and alarm keys

Revision ID: 0016_insights
Revises: 0015
Create Date: 2026-12-04

The dashboard lists the newest survey comments and the alarm keys that recur most in a
period. Without an index on just the tickets that have them, both read every ticket of
the period to find the few that do (~12 ms each at 100,000 tickets, bench/agent_pages.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_insights"
down_revision = "0015"
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_tickets_csat_comment": ("id", "csat_comment IS NOT NULL"),
    "ix_tickets_correlated": ("created_at", "correlation_key IS NOT NULL"),
}


def upgrade() -> None:
    for name, (column, where) in PARTIAL.items():
        op.create_index(name, "tickets", [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade() -> None:
    for name in reversed(PARTIAL):
        op.drop_index(name, table_name="tickets")
