"""plugin install policy: third-party plugins wait for an admin; processes say when to restart

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

plugin_states gains the distribution a switch was set for (a switch never carries over to
another package that takes the name) and when a third-party plugin was first seen.
hub_processes lists the running processes and what they loaded, so every process and
``itsm-hub plugins list`` can say which ones need a restart after an install.

From now on a third-party plugin is disabled until an admin enables it. Third-party plugins
installed before this upgrade ran without that step; on a hub already in use (it has users
or tokens) they keep running: the upgrade records them as enabled, for the package that
provides them now. On a fresh database nothing is recorded, so a package installed before
the first ``itsm-hub db upgrade`` waits for an admin like any other.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("plugin_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("distribution", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "hub_processes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plugins", JSON, nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_processes")),
    )
    with op.batch_alter_table("hub_processes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_processes_seen_at"), ["seen_at"], unique=False)
    _keep_running_third_party_plugins()


def _keep_running_third_party_plugins() -> None:
    """Record the third-party plugins installed now as enabled, on a hub already in use."""
    from importlib import metadata

    bind = op.get_bind()
    in_use = bind.execute(sa.text("SELECT 1 FROM users LIMIT 1")).first() or \
        bind.execute(sa.text("SELECT 1 FROM api_tokens LIMIT 1")).first()
    if not in_use:
        return
    states = sa.table("plugin_states", sa.column("name", sa.String), sa.column("enabled", sa.Boolean),
                      sa.column("distribution", sa.String), sa.column("first_seen_at", sa.DateTime(timezone=True)),
                      sa.column("settings", JSON), sa.column("failure_count", sa.Integer),
                      sa.column("updated_at", sa.DateTime(timezone=True)))
    known = {row.name: row.distribution for row in bind.execute(sa.select(states.c.name, states.c.distribution))}
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as hub.models.base.UTCDateTime stores it there
    for entry_point in metadata.entry_points(group="itsm_hub"):
        dist = getattr(entry_point, "dist", None)
        distribution = dist.metadata["Name"] if dist is not None else None
        if distribution is None or distribution.lower().replace("_", "-") == "itsm-hub":
            continue
        if entry_point.name not in known:
            bind.execute(states.insert().values(name=entry_point.name, enabled=True, distribution=distribution,
                                                first_seen_at=now, settings={}, failure_count=0, updated_at=now))
            known[entry_point.name] = distribution
        elif known[entry_point.name] is None:
            bind.execute(states.update().where(states.c.name == entry_point.name).values(distribution=distribution))


def downgrade() -> None:
    with op.batch_alter_table("hub_processes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_processes_seen_at"))
    op.drop_table("hub_processes")
    with op.batch_alter_table("plugin_states", schema=None) as batch_op:
        batch_op.drop_column("first_seen_at")
        batch_op.drop_column("distribution")
