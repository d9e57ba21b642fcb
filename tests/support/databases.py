"""Test databases: migrated once per run, then handed to each test clean.

SQLite (the default): the migrated file is copied for each test. PostgreSQL (when
HUB_TEST_DATABASE_URL is set): one database per pytest worker, migrated once, emptied
between tests with TRUNCATE, sequences reset.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.app import migrate
from hub.core.db import Database
from hub.models import Base
from hub.tracker.states import MACHINES

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL", "")


class SqliteTemplate:
    def __init__(self, folder: Path) -> None:
        self.template = folder / "template.sqlite3"
        database = Database(f"sqlite:///{self.template}")
        migrate.upgrade(database)
        database.dispose()

    def fresh(self, folder: Path) -> str:
        target = folder / "hub.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


class PostgresDatabase:
    def __init__(self, worker: str) -> None:
        base = make_url(PG_URL if PG_URL.startswith("postgresql+psycopg") else
                        "postgresql+psycopg://" + PG_URL.split("://", 1)[1])
        # The process id keeps two test runs on one server (CI and a run by hand) apart.
        self.name = f"hub_test_{worker}_{os.getpid()}"
        self._admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        database = Database(self.url)
        migrate.upgrade(database)
        database.dispose()
        # A test database need not survive a power cut: commits that do not wait for the WAL
        # flush make every test's many small transactions cheaper (set before anyone connects).
        with self._admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.name}" SET synchronous_commit = off'))
        self._engine = create_engine(self.url)
        # Emptying with DELETE, children first, not TRUNCATE: a test leaves a few rows in a few
        # tables, and TRUNCATE makes new files for each of the ~50 tables and their indexes
        # (about a second per test on a busy 2-core machine, against milliseconds).
        statements = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
        with self._engine.connect() as connection:
            sequences = list(connection.scalars(text(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                "FROM information_schema.sequences WHERE sequence_schema = current_schema()")))
        # Every id and reference number starts at 1 again, as after RESTART IDENTITY.
        if sequences:
            statements.append("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in sequences))
        # Every kind's counter, as the migrations left them (sequences restart above).
        statements.append("INSERT INTO ticket_counters (kind, value) VALUES "
                          + ", ".join(f"('{kind}', 0)" for kind in MACHINES))
        # One round trip: psycopg sends a parameterless script as one simple query.
        self._reset = "; ".join(statements)

    def fresh(self, _folder: Path) -> str:
        with self._engine.begin() as connection:
            connection.exec_driver_sql(self._reset)
        return self.url

    def close(self, *, drop: bool = True) -> None:
        """Let go of the connections; ``drop=False`` leaves the database for a later :meth:`drop`."""
        self._engine.dispose()
        if drop:
            self.drop()

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()
