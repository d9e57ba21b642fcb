"""configuration items' owner and criticality; the log of admin changes to the organisation

Revision ID: 0011_org
Revises: 0010
Create Date: 2026-12-04

Department admins keep their own departments, groups, categories and configuration items
from the admin pages and the CLI. An item names the person who answers for it and how much
its failure costs, and every admin change (rename, move, merge, delete) is kept in
org_changes, which outlives the item so a merged machine's story stays readable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_org"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("configuration_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", ID, nullable=True))
        batch_op.add_column(sa.Column("criticality", sa.String(length=16), nullable=False, server_default="medium"))
        batch_op.create_foreign_key(batch_op.f("fk_configuration_items_owner_id_users"), "users", ["owner_id"],
                                    ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_configuration_items_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "org_changes",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=120), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_changes")),
    )
    op.create_index("ix_org_changes_item", "org_changes", ["item_type", "item_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_org_changes_item", table_name="org_changes")
    op.drop_table("org_changes")
    with op.batch_alter_table("configuration_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_configuration_items_parent_id"))
        batch_op.drop_constraint(batch_op.f("fk_configuration_items_owner_id_users"), type_="foreignkey")
        batch_op.drop_column("criticality")
        batch_op.drop_column("owner_id")
