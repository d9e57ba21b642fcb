"""customers at risk: the flags the risk rules raise, with their reasons and who cleared them

Revision ID: 0024_customer_risk
Revises: 0023_change_tasks
Create Date: 2026-12-04

One row per time a customer was at risk (hub.models.customer_risk): its reasons as JSON,
and, once cleared, who cleared it and the note they had to give. Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024_customer_risk"
down_revision = "0023_change_tasks"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_risk_flags",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("raised_at", MOMENT, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("cleared_at", MOMENT, nullable=True),
        sa.Column("cleared_by", sa.String(length=200), nullable=True),
        sa.Column("clear_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_risk_flags_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_risk_flags")),
    )
    op.create_index("ix_customer_risk_flags_customer", "customer_risk_flags", ["customer_id", "cleared_at"])
    op.create_index("ix_customer_risk_flags_raised", "customer_risk_flags", ["raised_at"])


def downgrade() -> None:
    op.drop_index("ix_customer_risk_flags_raised", table_name="customer_risk_flags")
    op.drop_index("ix_customer_risk_flags_customer", table_name="customer_risk_flags")
    op.drop_table("customer_risk_flags")
