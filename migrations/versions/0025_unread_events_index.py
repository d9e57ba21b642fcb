"""unread events index: the reader's query finds an instance's backlog by index

Revision ID: 0025_unread_events_index
Revises: 0024_customer_risk
Create Date: 2026-12-04

A reader (hub.jobs.reader) asks for one instance's events still ``received``, oldest first.
The index on (status, id) made it walk every unread event of every instance in id order
(144 ms with a large backlog); this partial index holds only unread events, by instance.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_unread_events_index"
down_revision = "0024_customer_risk"
branch_labels = None
depends_on = None

WHERE = "status = 'received'"


def upgrade() -> None:
    op.create_index("ix_inbound_events_unread", "inbound_events", ["instance_id", "id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_inbound_events_unread", table_name="inbound_events")
