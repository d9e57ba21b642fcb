"""agents' notifications and people's preferences

Revision ID: 0017
Revises: 0016_insights
Create Date: 2026-12-05

An agent hears of a ticket new in their group, assigned to them, a requester's reply, an
SLA warning or breach, a change awaiting their approval and a mention: the notifications
table keeps what their list in the UI shows and what waits for their digest mail. Each
person's choices (which event by which channel) live in users.preferences, by plugin.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016_insights"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferences", JSON, nullable=False, server_default="{}"))
    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("digest_pending", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_notifications_ticket_id_tickets"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id", "id"], unique=False)
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "read_at"], unique=False)
    op.create_index("ix_notifications_digest", "notifications", ["digest_pending", "user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notifications_digest", table_name="notifications")
    op.drop_index("ix_notifications_user_unread", table_name="notifications")
    op.drop_index("ix_notifications_user_id", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("preferences")
