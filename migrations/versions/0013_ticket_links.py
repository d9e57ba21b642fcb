"""links between tickets: related, parent and child, caused by

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

An agent links the tickets that belong together: two reports of related trouble, a parent
ticket and its children, the change that caused an incident. Links are the hub's own and
are never synced to other systems.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ticket_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_id", ID, nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("source_id <> target_id", name=op.f("ck_ticket_links_not_itself")),
        sa.ForeignKeyConstraint(["source_id"], ["tickets.id"], name=op.f("fk_ticket_links_source_id_tickets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_id"], ["tickets.id"], name=op.f("fk_ticket_links_target_id_tickets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_links")),
        sa.UniqueConstraint("source_id", "target_id", "kind", name=op.f("uq_ticket_links_source_id_target_id_kind")),
    )
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_links_target", ["target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_links_target")
    op.drop_table("ticket_links")
