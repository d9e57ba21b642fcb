"""requester e-mails in lower case

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Requester e-mails are compared with the signed-in user's address in lower case; sources
stored them as typed (``Req2@Example.COM``), so such a requester did not see their own
ticket. New tickets are stored in lower case; this lowers the ones already stored. The
downgrade keeps them lowered: the original spelling is not needed by anything.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade() -> None:
    # In Python, not SQL: SQLite's lower() leaves non-ASCII letters as they are, and the hub
    # compares with Python's str.lower(). In batches by id, so a big table is never held whole.
    connection = op.get_bind()
    tickets = sa.table("tickets", sa.column("id", sa.BigInteger), sa.column("requester_email", sa.String))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(tickets.c.id, tickets.c.requester_email)
            .where(tickets.c.id > last, tickets.c.requester_email.is_not(None))
            .order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            return
        changed = [{"ident": ident, "email": email.strip().lower() or None} for ident, email in rows
                   if email != (email.strip().lower() or None)]
        if changed:
            connection.execute(tickets.update().where(tickets.c.id == sa.bindparam("ident"))
                               .values(requester_email=sa.bindparam("email")), changed)
        last = rows[-1][0]


def downgrade() -> None:
    """Nothing to undo: the addresses stay in lower case, which every version reads."""
