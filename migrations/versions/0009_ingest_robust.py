"""content digests of events whose key the sender chooses

Revision ID: 0009_ingest_robust
Revises: 0006
Create Date: 2026-12-08

inbound_events.payload_digest lets a webhook or web form refuse a reused idempotency key
that carries other content (409) instead of acknowledging it and dropping the event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_ingest_robust"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbound_events", sa.Column("payload_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("payload_digest")
