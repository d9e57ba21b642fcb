"""problems: a third ticket kind (PRB-) with a root cause and a workaround

Revision ID: 0021_problems
Revises: 0020_customers
Create Date: 2026-12-04

A problem is the cause behind one or more incidents: it has its own numbers (a PostgreSQL
sequence, and a ticket_counters row where there are no sequences), its own lifecycle
(new, investigating, known_error, resolved, closed), and three columns of its own on the
tickets table: its root cause, its workaround and the correlation key its incidents share. Its incidents are linked with the ticket links' new kind ``problem_of``, which needs
no schema change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_problems"
down_revision = "0020_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("root_cause", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("workaround", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("incident_key", sa.String(length=255), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("problem_number_seq")))
    counters = sa.table("ticket_counters", sa.column("kind", sa.String), sa.column("value", sa.Integer))
    op.bulk_insert(counters, [{"kind": "problem", "value": 0}])


def downgrade() -> None:
    # Problems cannot live on without their kind: they go, with their links and history.
    tickets = sa.table("tickets", sa.column("kind", sa.String))
    op.execute(tickets.delete().where(tickets.c.kind == "problem"))
    counters = sa.table("ticket_counters", sa.column("kind", sa.String))
    op.execute(counters.delete().where(counters.c.kind == "problem"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("problem_number_seq")))
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("incident_key")
        batch_op.drop_column("workaround")
        batch_op.drop_column("root_cause")
