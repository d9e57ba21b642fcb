"""attachments, status tokens, ticket timers and plugin data

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('attachment_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_blobs'))
    )
    op.create_table('status_tokens',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_sealed', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_status_tokens_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_status_tokens_token_hash'))
    )
    with op.batch_alter_table('status_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_tokens_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_plugin_data',
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('data', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_plugin_data_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'plugin', name=op.f('pk_ticket_plugin_data'))
    )
    op.create_table('ticket_timers',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('data', JSON, nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_timers_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_timers')),
    sa.UniqueConstraint('ticket_id', 'plugin', 'name', name=op.f('uq_ticket_timers_ticket_id_plugin_name'))
    )
    with op.batch_alter_table('ticket_timers', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_timers_due', ['fired_at', 'due_at'], unique=False)

    op.create_table('attachments',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('comment_id', ID, nullable=True),
    sa.Column('event_id', ID, nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('inline', sa.Boolean(), nullable=False),
    sa.Column('content_id', sa.String(length=255), nullable=True),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_attachments_comment_id_comments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['inbound_events.id'], name=op.f('fk_attachments_event_id_inbound_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sha256'], ['attachment_blobs.sha256'], name=op.f('fk_attachments_sha256_attachment_blobs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_attachments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_ticket', ['ticket_id', 'id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_kind_resolved', ['kind', 'resolved_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_kind_resolved')

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_ticket')

    op.drop_table('attachments')
    with op.batch_alter_table('ticket_timers', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_timers_due')

    op.drop_table('ticket_timers')
    op.drop_table('ticket_plugin_data')
    with op.batch_alter_table('status_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_tokens_ticket_id'))

    op.drop_table('status_tokens')
    op.drop_table('attachment_blobs')
