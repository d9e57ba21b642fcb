"""canned replies

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Reply templates with placeholders, shared (no owner) or an agent's own, with a use count.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", ID, nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_canned_replies_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
        sa.UniqueConstraint("owner_id", "title", name=op.f("uq_canned_replies_owner_id_title")),
    )
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_canned_replies_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_canned_replies_owner_id"))
    op.drop_table("canned_replies")
