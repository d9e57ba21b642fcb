"""Engines and sessions, shared by the web tier, the CLI, jobs and listeners.

Services never open sessions themselves: a caller hands them one, so a request, a job or
a CLI command is one unit of work that commits or rolls back as a whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from hub.core.statement_cache import cache_long_statements


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    """WAL, enforced foreign keys and waiting writers; IMMEDIATE transactions for writers.

    A deferred SQLite transaction that reads and then writes fails at once with
    SQLITE_BUSY when another writer committed in between; taking the write lock at BEGIN
    makes concurrent writers queue up behind busy_timeout instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Removed content (an erased person's text, pruned mail bytes) is overwritten where
        # that costs no extra write, instead of lingering in free pages of the file.
        cursor.execute("PRAGMA secure_delete=FAST")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engines and session factories of one database.

    On SQLite there are two engines: a writer whose transactions take the write lock at
    BEGIN, and a reader for safe requests, so page views do not queue behind ingest.
    Elsewhere both names point at one pooled engine.
    """

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # One connection per checkout: SQLite connections are cheap and a pool of them
            # would pin WAL snapshots open.
            options: dict[str, Any] = {"poolclass": NullPool, "connect_args": {"check_same_thread": False}}
            self.engine = create_engine(url, echo=echo, **options)
            self.read_engine = create_engine(url, echo=echo, **options)
            _configure_sqlite(self.engine, immediate=True)
            _configure_sqlite(self.read_engine, immediate=False)
        else:
            cache_long_statements()  # a batch's multi-row INSERTs, parsed once (hub.core.statement_cache)
            self.engine = create_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=max_overflow,
                # No ping before each checkout (a round trip per request, issue 23): a
                # connection the server dropped fails its request, which answers 503 with
                # Retry-After, and SQLAlchemy then replaces every pooled connection at once.
                pool_recycle=1800,
            )
            self.read_engine = self.engine
        self._pid = os.getpid()
        self.Session = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.ReadSession = sessionmaker(bind=self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def after_fork(self) -> None:
        """Drop connections inherited from a parent process (rq forks a child per job)."""
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            if self.read_engine is not self.engine:
                self.read_engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on error."""
        with self.Session() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.ReadSession() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
