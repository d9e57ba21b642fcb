"""an index for the runs still running

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The scheduler marks runs whose worker died "abandoned" (hub.jobs.runs); it looks for
runs still "running" at every tick, which without an index reads the whole table of runs.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sync_runs_status", "sync_runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_sync_runs_status", table_name="sync_runs")
