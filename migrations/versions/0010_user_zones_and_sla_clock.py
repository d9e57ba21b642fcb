"""users' time zone and language; the SLA clock's breaches and pause on tickets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Agents see times in their own zone, and requesters their display name, never a login.
The SLA plugin records each missed due time once (an escalation that changes the priority
no longer hides a breach) and when the clocks stopped, so lists can show and filter the
clocks from the ticket row alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC"))
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=False, server_default="en"))
    with op.batch_alter_table("tickets") as batch:
        for name in ("response_breached_at", "resolve_breached_at", "sla_breached_at", "sla_paused_at"):
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_tickets_response_due", "tickets", ["response_due_at"])
    op.create_index("ix_tickets_resolve_due", "tickets", ["resolve_due_at"])
    op.create_index("ix_tickets_sla_breached", "tickets", ["sla_breached_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_sla_breached", table_name="tickets")
    op.drop_index("ix_tickets_resolve_due", table_name="tickets")
    op.drop_index("ix_tickets_response_due", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        for name in ("sla_paused_at", "sla_breached_at", "resolve_breached_at", "response_breached_at"):
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
        batch.drop_column("timezone")
