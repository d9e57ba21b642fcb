"""customers, their identities and organisations; tickets name their customer

Revision ID: 0020_customers
Revises: 0019_cab
Create Date: 2026-12-04

One person writes by mail, through the web form and as the requester of a synced ticket:
customer_identities maps each normalised address, phone number or account to one
customer, tickets.customer_id is set when a ticket is made, and customer_events keeps the
audit of links, merges and erasures (without a foreign key, so an erasure's entry stays).
Existing tickets are not matched here: `itsm-hub customers match` does it in batches.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020_customers"
down_revision = "0019_cab"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_organisations",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_customer_organisations_name")),
    )
    op.create_table(
        "customers",
        sa.Column("id", ID, nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", ID, nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("owner_user_id", ID, nullable=True),
        sa.Column("owner_group_id", ID, nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("merged_into_id", ID, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("erased_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["customer_organisations.id"],
                                name=op.f("fk_customers_organisation_id_customer_organisations"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_user_id"], ["users.id"], name=op.f("fk_customers_owner_user_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_group_id"], ["groups.id"], name=op.f("fk_customers_owner_group_id_groups"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merged_into_id"], ["customers.id"],
                                name=op.f("fk_customers_merged_into_id_customers"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index("ix_customers_organisation", "customers", ["organisation_id"], unique=False)
    op.create_index("ix_customers_name", "customers", ["display_name"], unique=False)
    op.create_table(
        "customer_identities",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_identities_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_customer_identities_kind_value")),
    )
    op.create_index("ix_customer_identities_customer", "customer_identities", ["customer_id"], unique=False)
    op.create_table(
        "customer_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=120), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_events")),
    )
    op.create_index("ix_customer_events_customer", "customer_events", ["customer_id", "id"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tickets_customer_id_customers"), "customers",
                                    ["customer_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_tickets_customer_created", ["customer_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_customer_created")
        batch_op.drop_constraint(batch_op.f("fk_tickets_customer_id_customers"), type_="foreignkey")
        batch_op.drop_column("customer_id")
    op.drop_index("ix_customer_events_customer", table_name="customer_events")
    op.drop_table("customer_events")
    op.drop_index("ix_customer_identities_customer", table_name="customer_identities")
    op.drop_table("customer_identities")
    op.drop_index("ix_customers_name", table_name="customers")
    op.drop_index("ix_customers_organisation", table_name="customers")
    op.drop_table("customers")
    op.drop_table("customer_organisations")
