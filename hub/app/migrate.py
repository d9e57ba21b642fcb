"""Schema migrations: where they live, which revision a database is at, and upgrading it."""

from __future__ import annotations

import functools
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hub.core.db import Database

UPGRADE_COMMAND = "itsm-hub db upgrade"


class SchemaBehind(RuntimeError):
    """The database schema is older than the code; the message names the fix."""


def alembic_config() -> Config:
    location = resources.files("hub.migrations")
    config = Config(str(location / "alembic.ini"))
    config.set_main_option("script_location", str(location))
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest revision the code ships. Read once a process: finding it loads (compiles)
    every migration script, a fifth of what building an app costs, and the scripts change only
    with the code, which a restart brings."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(db: Database, revision: str) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def check_schema(db: Database) -> None:
    """Raise SchemaBehind unless the database is at the newest revision."""
    current, head = current_revision(db), head_revision()
    if current != head:
        where = "has no schema yet" if current is None else f"is at revision {current}"
        raise SchemaBehind(
            f"The database {where}, but this version of the hub needs {head}. "
            f"Run `{UPGRADE_COMMAND}` (with the same HUB_DATABASE_URL) and start again."
        )
