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
        self._engine = create_engine(self.url)
        tables = [table.name for table in Base.metadata.sorted_tables]
        self._truncate = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"

    def fresh(self, _folder: Path) -> str:
        with self._engine.begin() as connection:
            connection.execute(text(self._truncate))
            # Every kind's counter and sequence, as the migrations left them.
            for kind in MACHINES:
                connection.execute(text("INSERT INTO ticket_counters (kind, value) VALUES (:kind, 0)"), {"kind": kind})
                connection.execute(text(f"ALTER SEQUENCE {kind}_number_seq RESTART WITH 1"))
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
