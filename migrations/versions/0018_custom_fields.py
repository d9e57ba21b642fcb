"""custom fields per department and ticket kind, and each ticket's values

Revision ID: 0018_custom_fields
Revises: 0017
Create Date: 2026-12-04

An admin defines fields (text, number, choice, date, configuration item) for a
department's incidents or changes; each ticket keeps its values in its custom_fields JSON
for reading and in ticket_field_values, typed and indexed by field and value, for filters.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018_custom_fields"
down_revision = "0017"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("help", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("department_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_custom_fields_department_id_departments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("name", name=op.f("uq_custom_fields_name")),
    )
    op.create_table(
        "ticket_field_values",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("field_id", ID, nullable=False),
        sa.Column("text_value", sa.String(length=500), nullable=True),
        sa.Column("number_value", sa.Float(), nullable=True),
        sa.Column("ci_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["ci_id"], ["configuration_items.id"],
                                name=op.f("fk_ticket_field_values_ci_id_configuration_items"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["field_id"], ["custom_fields.id"],
                                name=op.f("fk_ticket_field_values_field_id_custom_fields"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_ticket_field_values_ticket_id_tickets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "field_id", name=op.f("pk_ticket_field_values")),
    )
    op.create_index("ix_ticket_field_values_text", "ticket_field_values", ["field_id", "text_value", "ticket_id"])
    op.create_index("ix_ticket_field_values_number", "ticket_field_values",
                    ["field_id", "number_value", "ticket_id"])
    op.create_index("ix_ticket_field_values_ci", "ticket_field_values", ["ci_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_field_values_ci", table_name="ticket_field_values")
    op.drop_index("ix_ticket_field_values_number", table_name="ticket_field_values")
    op.drop_index("ix_ticket_field_values_text", table_name="ticket_field_values")
    op.drop_table("ticket_field_values")
    op.drop_table("custom_fields")
