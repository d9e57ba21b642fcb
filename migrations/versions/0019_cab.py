"""change governance: CAB approval policies, standard-change templates, freeze windows,
one-click approval links, and approvals' round, channel and after-the-fact mark

Revision ID: 0019_cab
Revises: 0018_custom_fields
Create Date: 2026-12-04

A change's type and risk choose the group that decides on it and how many of its members
must approve (issue 22 point 4); standard changes come from an admin's catalogue already
approved; freeze windows keep a site's changes out of peak times (point 5). Approvals
gain the round they belong to (a reworked change is assessed afresh), the channel they
came through and whether they came after an emergency change was implemented.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_cab"
down_revision = "0018_custom_fields"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("after_the_fact", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="api"))
    op.create_table(
        "approval_policies",
        sa.Column("id", ID, nullable=False),
        sa.Column("change_type", sa.String(length=16), nullable=False),
        sa.Column("risk", sa.String(length=8), nullable=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("quorum", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_approval_policies_group_id_groups"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_policies")),
        sa.UniqueConstraint("change_type", "risk", name=op.f("uq_approval_policies_change_type_risk")),
    )
    op.create_index(op.f("ix_approval_policies_group_id"), "approval_policies", ["group_id"], unique=False)
    op.create_table(
        "change_templates",
        sa.Column("id", ID, nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("risk", sa.String(length=8), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_templates")),
        sa.UniqueConstraint("slug", name=op.f("uq_change_templates_slug")),
    )
    op.create_table(
        "freeze_windows",
        sa.Column("id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=True),
        sa.Column("starts_at", MOMENT, nullable=False),
        sa.Column("ends_at", MOMENT, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["configuration_items.id"],
                                name=op.f("fk_freeze_windows_site_id_configuration_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze_windows")),
    )
    op.create_index(op.f("ix_freeze_windows_site_id"), "freeze_windows", ["site_id"], unique=False)
    op.create_index("ix_freeze_windows_time", "freeze_windows", ["starts_at", "ends_at"], unique=False)
    op.create_table(
        "approval_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("used_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_approval_links_ticket_id_tickets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_approval_links_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_links")),
    )
    op.create_index("ix_approval_links_ticket", "approval_links", ["ticket_id", "user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_approval_links_ticket", table_name="approval_links")
    op.drop_table("approval_links")
    op.drop_index("ix_freeze_windows_time", table_name="freeze_windows")
    op.drop_index(op.f("ix_freeze_windows_site_id"), table_name="freeze_windows")
    op.drop_table("freeze_windows")
    op.drop_table("change_templates")
    op.drop_index(op.f("ix_approval_policies_group_id"), table_name="approval_policies")
    op.drop_table("approval_policies")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_column("channel")
        batch_op.drop_column("after_the_fact")
        batch_op.drop_column("cycle")
