"""psycopg reads a batch's long statements once (hub.core.statement_cache)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from hub.core.statement_cache import cache_info, cache_long_statements


def test_the_cache_is_on_with_the_pinned_psycopg() -> None:
    pytest.importorskip("psycopg")
    assert cache_long_statements(), "psycopg._queries._query2pg_nocache is gone: see hub/core/statement_cache.py"
    assert cache_long_statements(), "a second call changes nothing"
    queries: Any = importlib.import_module("psycopg._queries")
    wrapped = queries._query2pg_nocache
    assert not hasattr(wrapped.__wrapped__, "cache_info"), "wrapped once, not twice"


def test_a_long_statement_is_read_once() -> None:
    pytest.importorskip("psycopg")
    cache_long_statements()
    queries: Any = importlib.import_module("psycopg._queries")
    query = ("INSERT INTO t (a, b) VALUES " + ", ".join(f"(%(a{n})s, %(b{n})s)" for n in range(500))).encode()
    before = cache_info()
    for _ in range(3):
        converted = queries._query2pg_nocache(query, "utf-8")
        assert converted[0].count(b"$") == 1000  # the query as PostgreSQL reads it
    after = cache_info()
    assert after.hits - before.hits == 2 and after.misses - before.misses == 1


def test_postgresql_engines_turn_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr("hub.core.db.cache_long_statements", lambda: calls.append(True) or True)
    from hub.core.db import Database

    Database("postgresql+psycopg://nobody@127.0.0.1:1/none").dispose()  # no connection is made
    Database("sqlite://").dispose()
    assert calls == [True]
