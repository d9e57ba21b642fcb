"""Alembic environment: runs with the connection the hub hands over (hub.app.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hub.models import Base
from hub.models.search_schema import is_model_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # Plain `alembic -c migrations/alembic.ini upgrade head` needs a URL.
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("use `itsm-hub db upgrade`, or set sqlalchemy.url for plain alembic")
        with create_engine(url).connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
        include_name=is_model_name,  # the search structures are not in the models
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `itsm-hub db upgrade`")
run_migrations_online()
