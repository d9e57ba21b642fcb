"""major incidents: a flag and promotion time on incidents, a child's major, relayed comments

Revision ID: 0022_major_incidents
Revises: 0021_problems
Create Date: 2026-12-04

An incident promoted to major keeps ``is_major`` and ``major_at`` (the start of the window in
which new incidents with its item or key are attached to it); a child names its major in
``major_incident_id``. A public update on the major is repeated on each child as a comment
with ``relayed_from_id``; the unique (ticket, relayed_from) pair keeps a retried relay from
telling anyone twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_major_incidents"
down_revision = "0021_problems"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("is_major", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("major_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("major_incident_id", ID, nullable=True))
        batch.create_foreign_key("fk_tickets_major_incident_id_tickets", "tickets", ["major_incident_id"], ["id"],
                                 ondelete="SET NULL")
    op.create_index("ix_tickets_major_incident", "tickets", ["major_incident_id"])
    op.create_index("ix_tickets_major", "tickets", ["major_at"], postgresql_where=sa.text("is_major"),
                    sqlite_where=sa.text("is_major"))
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("relayed_from_id", ID, nullable=True))
        batch.create_foreign_key("fk_comments_relayed_from_id_comments", "comments", ["relayed_from_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_unique_constraint("uq_comments_relayed", ["ticket_id", "relayed_from_id"])


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_constraint("uq_comments_relayed", type_="unique")
        batch.drop_constraint("fk_comments_relayed_from_id_comments", type_="foreignkey")
        batch.drop_column("relayed_from_id")
    op.drop_index("ix_tickets_major", table_name="tickets")
    op.drop_index("ix_tickets_major_incident", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("fk_tickets_major_incident_id_tickets", type_="foreignkey")
        batch.drop_column("major_incident_id")
        batch.drop_column("major_at")
        batch.drop_column("is_major")
