"""the requester's language on tickets

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08

Mails and the status page speak the language the requester used (the web form they
filled in, the API's ``language``). Existing tickets keep none: they are spoken to in
HUB_DEFAULT_LANGUAGE, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("language")
