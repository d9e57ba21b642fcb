"""thread keys, replay guards, claim-first correlation keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql



revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('replay_guards',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_replay_guards'))
    )
    with op.batch_alter_table('replay_guards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replay_guards_expires_at'), ['expires_at'], unique=False)

    op.create_table('thread_keys',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_thread_keys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_thread_keys'))
    )
    with op.batch_alter_table('thread_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_keys_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('correlation_keys', schema=None) as batch_op:
        batch_op.alter_column('ticket_id',
               existing_type=ID,
               nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('correlation_keys', schema=None) as batch_op:
        batch_op.alter_column('ticket_id',
               existing_type=ID,
               nullable=False)

    with op.batch_alter_table('thread_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_keys_ticket_id'))

    op.drop_table('thread_keys')
    with op.batch_alter_table('replay_guards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replay_guards_expires_at'))

    op.drop_table('replay_guards')
