"""A cache for psycopg's reading of long statements (the multi-row INSERTs of a batch).

psycopg turns every query with parameters from ``%(name)s`` into PostgreSQL's ``$n`` in
Python, and caches the result only for short queries (4 KB, 50 parameters; its
``_queries`` module). A reader's batch writes its 200 tickets in one INSERT of about 90 KB
and 7,000 parameters, its timers in one of 800 rows: parsed anew each time, that was half
of the CPU a batch cost (11 ms per 200 tickets; issue 23). The same statements recur batch
after batch, so a small cache of their own saves it: 16 entries of at most a few MB each.

It replaces a private function of psycopg (``_query2pg_nocache``) by a cached version of
itself. If a psycopg release renames it, nothing is replaced and statements are read as
psycopg reads them: slower, never wrong. tests/hub/test_statement_cache.py fails then, so
the pin in constraints.txt is not raised unnoticed.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

#: Long statements kept: a batch's tickets, audit rows, plugin data, timers and links,
#: in a full batch's size and a few others.
ENTRIES = 16


def cache_long_statements() -> bool:
    """Cache psycopg's conversion of long queries (once per process); whether it is on."""
    try:
        queries: Any = importlib.import_module("psycopg._queries")
    except ImportError:
        return False
    convert = getattr(queries, "_query2pg_nocache", None)
    if convert is None:
        return False
    if not hasattr(convert, "cache_info"):
        queries._query2pg_nocache = functools.lru_cache(maxsize=ENTRIES)(convert)
    return True


def cache_info() -> Any:
    """The cache's hits and misses (functools' CacheInfo), or None when it is off."""
    try:
        queries: Any = importlib.import_module("psycopg._queries")
    except ImportError:
        return None
    return getattr(getattr(queries, "_query2pg_nocache", None), "cache_info", lambda: None)()
