"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# Written out here, not imported from hub.models, so this revision never changes under us.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', ID, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('slug', name=op.f('uq_departments_slug'))
    )
    op.create_table('plugin_states',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('settings', JSON, nullable=False),
    sa.Column('failure_count', sa.Integer(), nullable=False),
    sa.Column('last_failure', sa.Text(), nullable=True),
    sa.Column('last_failure_hook', sa.String(length=100), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_plugin_states'))
    )
    op.create_table('ticket_counters',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_ticket_counters'))
    )
    op.create_table('categories',
    sa.Column('id', ID, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department_id', ID, nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_categories_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('department_id', 'slug', name=op.f('uq_categories_department_id_slug'))
    )
    op.create_table('configuration_items',
    sa.Column('id', ID, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('parent_id', ID, nullable=True),
    sa.Column('department_id', ID, nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_configuration_items_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['configuration_items.id'], name=op.f('fk_configuration_items_parent_id_configuration_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_configuration_items')),
    sa.UniqueConstraint('key', name=op.f('uq_configuration_items_key'))
    )
    op.create_table('connector_instances',
    sa.Column('id', ID, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('connector', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('department_id', ID, nullable=True),
    sa.Column('config', JSON, nullable=False),
    sa.Column('secrets', sa.Text(), nullable=True),
    sa.Column('state', JSON, nullable=False),
    sa.Column('poll_interval', sa.Integer(), nullable=True),
    sa.Column('poll_cron', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_connector_instances_department_id_departments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_instances')),
    sa.UniqueConstraint('slug', name=op.f('uq_connector_instances_slug'))
    )
    with op.batch_alter_table('connector_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connector_instances_connector'), ['connector'], unique=False)

    op.create_table('groups',
    sa.Column('id', ID, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('department_id', ID, nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_groups_department_id_departments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('slug', name=op.f('uq_groups_slug'))
    )
    op.create_table('users',
    sa.Column('id', ID, nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('department_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_users_department_id_departments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('user_id', ID, nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('group_members',
    sa.Column('group_id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    op.create_table('sync_runs',
    sa.Column('id', ID, nullable=False),
    sa.Column('instance_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['connector_instances.id'], name=op.f('fk_sync_runs_instance_id_connector_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_runs_instance', ['instance_id', 'id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('impact', sa.String(length=8), nullable=False),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('department_id', ID, nullable=True),
    sa.Column('category_id', ID, nullable=True),
    sa.Column('ci_id', ID, nullable=True),
    sa.Column('assignee_id', ID, nullable=True),
    sa.Column('group_id', ID, nullable=True),
    sa.Column('requester_name', sa.String(length=200), nullable=True),
    sa.Column('requester_email', sa.String(length=320), nullable=True),
    sa.Column('requester_user_id', ID, nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_instance_id', ID, nullable=True),
    sa.Column('correlation_key', sa.String(length=255), nullable=True),
    sa.Column('occurrence_count', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flapping', sa.Boolean(), nullable=False),
    sa.Column('tags', JSON, nullable=False),
    sa.Column('custom_fields', JSON, nullable=False),
    sa.Column('change_type', sa.String(length=16), nullable=True),
    sa.Column('risk', sa.String(length=8), nullable=True),
    sa.Column('planned_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('planned_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolve_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('csat_score', sa.SmallInteger(), nullable=True),
    sa.Column('csat_comment', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_tickets_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ci_id'], ['configuration_items.id'], name=op.f('fk_tickets_ci_id_configuration_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_tickets_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_tickets_group_id_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_user_id'], ['users.id'], name=op.f('fk_tickets_requester_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_instance_id'], ['connector_instances.id'], name=op.f('fk_tickets_source_instance_id_connector_instances'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('kind', 'number', name=op.f('uq_tickets_kind_number')),
    sa.UniqueConstraint('ref', name=op.f('uq_tickets_ref'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_category', ['category_id'], unique=False)
        batch_op.create_index('ix_tickets_ci', ['ci_id'], unique=False)
        batch_op.create_index('ix_tickets_department_updated', ['department_id', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_group_status', ['group_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_kind_created', ['kind', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_kind_priority_updated', ['kind', 'priority', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_kind_status_updated', ['kind', 'status', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_kind_updated', ['kind', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_requester_email', ['requester_email'], unique=False)
        batch_op.create_index('ix_tickets_source_updated', ['source', 'updated_at'], unique=False)

    op.create_table('approvals',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('approver_user_id', ID, nullable=True),
    sa.Column('approver_name', sa.String(length=200), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approver_user_id'], ['users.id'], name=op.f('fk_approvals_approver_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_approvals_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=120), nullable=False),
    sa.Column('changes', JSON, nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_audit_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('comments',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('author_type', sa.String(length=16), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('author_user_id', ID, nullable=True),
    sa.Column('origin_instance_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_comments_author_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['origin_instance_id'], ['connector_instances.id'], name=op.f('fk_comments_origin_instance_id_connector_instances'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_comments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('correlation_keys',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('reopen', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_correlation_keys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_correlation_keys'))
    )
    with op.batch_alter_table('correlation_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correlation_keys_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('external_links',
    sa.Column('id', ID, nullable=False),
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('instance_id', ID, nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('sync_version', sa.Integer(), nullable=False),
    sa.Column('remote_version', sa.String(length=64), nullable=True),
    sa.Column('last_synced_hash', sa.String(length=64), nullable=True),
    sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sync_state', sa.String(length=16), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('data', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['connector_instances.id'], name=op.f('fk_external_links_instance_id_connector_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_external_links_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_links')),
    sa.UniqueConstraint('instance_id', 'external_id', name=op.f('uq_external_links_instance_id_external_id'))
    )
    with op.batch_alter_table('external_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_links_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('inbound_events',
    sa.Column('id', ID, nullable=False),
    sa.Column('instance_id', ID, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('payload', JSON, nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('meta', JSON, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ticket_id', ID, nullable=True),
    sa.Column('correlation_key', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['connector_instances.id'], name=op.f('fk_inbound_events_instance_id_connector_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inbound_events_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_events')),
    sa.UniqueConstraint('instance_id', 'idempotency_key', name=op.f('uq_inbound_events_instance_id_idempotency_key'))
    )
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_events_status', ['status', 'id'], unique=False)
        batch_op.create_index('ix_inbound_events_ticket', ['ticket_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', ID, nullable=False),
    sa.Column('lane', sa.String(length=255), nullable=False),
    sa.Column('instance_id', ID, nullable=True),
    sa.Column('ticket_id', ID, nullable=True),
    sa.Column('link_id', ID, nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', JSON, nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['connector_instances.id'], name=op.f('fk_outbox_messages_instance_id_connector_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['external_links.id'], name=op.f('fk_outbox_messages_link_id_external_links'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbox_messages_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_messages_idempotency_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_messages_lane', ['lane', 'id'], unique=False)



    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("incident_number_seq")))
        op.execute(sa.schema.CreateSequence(sa.Sequence("change_number_seq")))
    counters = sa.table("ticket_counters", sa.column("kind", sa.String), sa.column("value", sa.Integer))
    op.bulk_insert(counters, [{"kind": "incident", "value": 0}, {"kind": "change", "value": 0}])

def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_lane')
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_events_ticket')
        batch_op.drop_index('ix_inbound_events_status')

    op.drop_table('inbound_events')
    with op.batch_alter_table('external_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_links_ticket_id'))

    op.drop_table('external_links')
    with op.batch_alter_table('correlation_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correlation_keys_ticket_id'))

    op.drop_table('correlation_keys')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_ticket')

    op.drop_table('comments')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_ticket')

    op.drop_table('audit_events')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_ticket_id'))

    op.drop_table('approvals')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_source_updated')
        batch_op.drop_index('ix_tickets_requester_email')
        batch_op.drop_index('ix_tickets_kind_updated')
        batch_op.drop_index('ix_tickets_kind_status_updated')
        batch_op.drop_index('ix_tickets_kind_priority_updated')
        batch_op.drop_index('ix_tickets_kind_created')
        batch_op.drop_index('ix_tickets_group_status')
        batch_op.drop_index('ix_tickets_department_updated')
        batch_op.drop_index('ix_tickets_ci')
        batch_op.drop_index('ix_tickets_category')
        batch_op.drop_index('ix_tickets_assignee_status')

    op.drop_table('tickets')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_runs_instance')

    op.drop_table('sync_runs')
    op.drop_table('group_members')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('groups')
    with op.batch_alter_table('connector_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_instances_connector'))

    op.drop_table('connector_instances')
    op.drop_table('configuration_items')
    op.drop_table('categories')
    op.drop_table('ticket_counters')
    op.drop_table('plugin_states')
    op.drop_table('departments')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("change_number_seq")))
        op.execute(sa.schema.DropSequence(sa.Sequence("incident_number_seq")))
