"""change tasks: one change rolled out to many targets, one task per line, machine or room

Revision ID: 0023_change_tasks
Revises: 0022_major_incidents
Create Date: 2026-12-04

Issue 22 point 6. Each task names its change, its target (a configuration item, or free
text kept as given), its assignee and group, its state and its outcome note; a change
closes only when every task has an outcome. One new table, nothing else changes, so the
migration can follow any head: only ``down_revision`` names its place in the chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_change_tasks"
down_revision = "0022_major_incidents"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "change_tasks",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ci_id", ID, nullable=True),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("assignee_id", ID, nullable=True),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("started_at", MOMENT, nullable=True),
        sa.Column("finished_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_change_tasks_ticket_id_tickets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ci_id"], ["configuration_items.id"],
                                name=op.f("fk_change_tasks_ci_id_configuration_items"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_change_tasks_assignee_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_change_tasks_group_id_groups"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_tasks")),
    )
    op.create_index("ix_change_tasks_ticket", "change_tasks", ["ticket_id", "position"], unique=False)
    op.create_index("ix_change_tasks_assignee", "change_tasks", ["assignee_id", "state"], unique=False)
    op.create_index(op.f("ix_change_tasks_ci_id"), "change_tasks", ["ci_id"], unique=False)
    op.create_index(op.f("ix_change_tasks_group_id"), "change_tasks", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_change_tasks_group_id"), table_name="change_tasks")
    op.drop_index(op.f("ix_change_tasks_ci_id"), table_name="change_tasks")
    op.drop_index("ix_change_tasks_assignee", table_name="change_tasks")
    op.drop_index("ix_change_tasks_ticket", table_name="change_tasks")
    op.drop_table("change_tasks")
