"""tickets merged as duplicates point at their main ticket

Revision ID: 0012
Revises: 0011_org
Create Date: 2026-12-04

An agent merges a ticket into the one that tracks the same problem: the duplicate is closed
and keeps a link to its main ticket, so its page, its requester's status page and the main
ticket's list of duplicates can follow it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011_org"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("duplicate_of_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                   nullable=True))
        batch.create_foreign_key("fk_tickets_duplicate_of_id_tickets", "tickets", ["duplicate_of_id"], ["id"],
                                 ondelete="SET NULL")
    op.create_index("ix_tickets_duplicate_of", "tickets", ["duplicate_of_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_duplicate_of", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("fk_tickets_duplicate_of_id_tickets", type_="foreignkey")
        batch.drop_column("duplicate_of_id")
