"""Search latency at a million tickets, on PostgreSQL or SQLite, without the web server.

Seeds the tickets the full benchmark seeds (bench.cases.seed_tickets: a frequent word in
every fifth title or description) plus 100,000 newer tickets without any searched word,
the case that made each search walk them (bench/LIMITS.md), then times the query
list_tickets builds for the benchmark's searches.

    PYTHONPATH=. python bench/search_scale.py URL seed [--revision REV]   # empty database -> 1.1M tickets
    PYTHONPATH=. python bench/search_scale.py URL upgrade                 # to head, timed (the migration cost)
    PYTHONPATH=. python bench/search_scale.py URL time [--runs 50]        # p50/p99 per search
    PYTHONPATH=. python bench/search_scale.py URL scatter                 # + 120,000 among the newest (PostgreSQL)

URL: postgresql+psycopg://postgres@127.0.0.1:5432/NAME (created if missing) or sqlite:////path.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.cases import SEEDED_INCIDENTS
from hub.app import migrate
from hub.core.db import Database
from hub.sdk.tracker_errors import ValidationFailed
from hub.tracker.queries import TicketFilter, list_tickets

SEEDED = 1_000_000
NEWER = 100_000
CASES: list[tuple[str, dict[str, Any], str]] = [
    # The full benchmark's searches (bench.cases.read_latency), newest change first ...
    ("q=boiler", {"q": "boiler"}, "-updated_at"),
    ("q=leak room", {"q": "leak room"}, "-updated_at"),
    ("q=printer&status=new", {"q": "printer", "status": ["new"]}, "-updated_at"),
    # ... a stemmed form, a rare word, a reference, and best match first.
    ("q=leaking", {"q": "leaking"}, "-updated_at"),
    ("q=boiler 4240 (rare)", {"q": "boiler 4240"}, "-updated_at"),
    ("q=room 42 (1,100 matches)", {"q": "room 42"}, "-updated_at"),
    ("q=INC-1000042", {"q": "INC-1000042"}, "-updated_at"),
    ("q=boiler&sort=relevance", {"q": "boiler"}, "relevance"),
    ("q=boiler 4240&sort=relevance", {"q": "boiler 4240"}, "relevance"),
]

# PostgreSQL: the newer tickets without a searched word (python -m bench adds them to its million).
PG_NEWER = """
    INSERT INTO tickets (kind, number, ref, title, description, status, impact, urgency, priority, source,
                         occurrence_count, flapping, tags, custom_fields, created_at, updated_at, version)
    SELECT 'incident', 3000000 + n, 'INC-' || (3000000 + n), 'Alarm ' || n || ' on line ' || (n % 40),
           'Machine stopped; operator notified.', 'new', 'medium', 'medium', 3, 'bench', 1, false, '[]', '{}',
           now() + (n || ' milliseconds')::interval, now() + (n || ' milliseconds')::interval, 1
    FROM generate_series(1, :newer) AS n
"""
# PostgreSQL, beyond the target's case: 120,000 more tickets without a searched word, made
# minutes before the newest seeded ones (between the 600th and the 1,000th newest), as a full
# run's ingest cases once left them. After VACUUM they go into the free space of the table's
# pages, a few to a page, so a search walking them reads about five times the pages.
SCATTERED = 120_000
PG_SCATTERED = """
    INSERT INTO tickets (kind, number, ref, title, description, status, impact, urgency, priority, source,
                         occurrence_count, flapping, tags, custom_fields, created_at, updated_at, version)
    SELECT 'incident', 4000000 + n, 'INC-' || (4000000 + n), 'Pump ' || n || ' vibration',
           'Line stopped; operator notified.', 'new', 'medium', 'medium', 3, 'ingest', 1, false, '[]', '{}',
           newest.at - make_interval(secs => 600 + n * 400.0 / :scattered),
           newest.at - make_interval(secs => 600 + n * 400.0 / :scattered), 1
    FROM generate_series(1, :scattered) AS n,
         (SELECT max(updated_at) AS at FROM tickets WHERE number BETWEEN 1000001 AND 2999999) AS newest
"""
# PostgreSQL: the rows bench.cases.seed_tickets inserts, then the newer ones.
PG_SEED = SEEDED_INCIDENTS + """
    FROM generate_series(1, :seeded) AS n;
""" + PG_NEWER

# SQLite: the same rows (no arrays or generate_series there).
SQLITE_SEED = """
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :seeded)
    INSERT INTO tickets (kind, number, ref, title, description, status, impact, urgency, priority, source,
                         occurrence_count, flapping, tags, custom_fields, created_at, updated_at, version)
    SELECT 'incident', 1000000 + n, 'INC-' || (1000000 + n),
           CASE n % 5 WHEN 0 THEN 'Boiler pressure low' WHEN 1 THEN 'Towels not replaced'
                      WHEN 2 THEN 'Fill volume out of tolerance' WHEN 3 THEN 'Air conditioning broken'
                      ELSE 'Label printer jam' END || ' ' || n,
           'Reported by a guest in room ' || (n % 900) || '. ' ||
           CASE n % 5 WHEN 0 THEN 'hot water' WHEN 1 THEN 'noise' WHEN 2 THEN 'leak' WHEN 3 THEN 'smell'
                      ELSE 'light' END,
           CASE n % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'in_progress'
                      WHEN 3 THEN 'on_hold' WHEN 4 THEN 'resolved' ELSE 'closed' END,
           'medium', 'medium', 1 + n % 5, 'bench', 1, 0, '[]', '{}',
           datetime('now', '-' || n || ' seconds'), datetime('now', '-' || n || ' seconds'), 1
    FROM s;
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :newer)
    INSERT INTO tickets (kind, number, ref, title, description, status, impact, urgency, priority, source,
                         occurrence_count, flapping, tags, custom_fields, created_at, updated_at, version)
    SELECT 'incident', 3000000 + n, 'INC-' || (3000000 + n), 'Alarm ' || n || ' on line ' || (n % 40),
           'Machine stopped; operator notified.', 'new', 'medium', 'medium', 3, 'bench', 1, 0, '[]', '{}',
           strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 hour', '+' || (n / 1000.0) || ' seconds'),
           strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 hour', '+' || (n / 1000.0) || ' seconds'), 1
    FROM s
"""


def seed(url: str, revision: str) -> None:
    if url.startswith("postgresql"):
        server = make_url(url)
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": server.database}):
                connection.execute(text(f'CREATE DATABASE "{server.database}"'))
        admin.dispose()
    database = Database(url)
    migrate.upgrade(database, revision)
    postgres = url.startswith("postgresql")
    started = time.perf_counter()
    with database.engine.begin() as connection:  # one transaction: SQLite writes it once
        for statement in (PG_SEED if postgres else SQLITE_SEED).split(";\n"):
            connection.execute(text(statement), {"seeded": SEEDED, "newer": NEWER})
    print(f"seeded {SEEDED + NEWER} tickets in {time.perf_counter() - started:.0f} s")
    analyse(database)
    database.dispose()


def analyse(database: Database) -> None:
    """As autovacuum would have done on a table that grew over months (bench.cases.seed_tickets).
    SQLite keeps no statistics unless told to, and the hub does not: neither does this."""
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE tickets"))


def upgrade(url: str) -> None:
    database = Database(url)
    started = time.perf_counter()
    migrate.upgrade(database)
    print(f"upgraded to {migrate.head_revision()} in {time.perf_counter() - started:.0f} s")
    analyse(database)
    database.dispose()


def seed_newer(url: str) -> float:
    """Add the 100,000 newer tickets without a searched word to a database python -m bench seeded."""
    return _add(url, PG_NEWER, {"newer": NEWER})


def seed_scattered(url: str) -> float:
    """Add the SCATTERED tickets (PostgreSQL) to a database of the case: beyond the target."""
    return _add(url, PG_SCATTERED, {"scattered": SCATTERED})


def _add(url: str, statement: str, parameters: dict[str, int]) -> float:
    database = Database(url)
    started = time.perf_counter()
    with database.engine.begin() as connection:
        connection.execute(text(statement), parameters)
    analyse(database)
    database.dispose()
    return time.perf_counter() - started


def timings(url: str, runs: int) -> dict[str, dict[str, Any]]:
    """p50, p99 and the slowest of each search (the query list_tickets builds, 50 rows), in ms."""
    from hub.app.serving import freeze_startup_objects

    database = Database(url)
    freeze_startup_objects()  # as a web process does once started (wsgi.py)
    out: dict[str, dict[str, Any]] = {}
    for name, fields, sort in CASES:
        flt = TicketFilter(kind="incident", **fields)
        measured = []
        with database.Session() as session:
            for _ in range(runs + 2):
                started = time.perf_counter()
                try:
                    page = list_tickets(session, flt, sort=sort, limit=50)
                except ValidationFailed:  # a version of the hub without this sort
                    break
                measured.append((time.perf_counter() - started) * 1000)
                session.expunge_all()
        if not measured:
            out[name] = {"skipped": f"sort={sort} unknown to this version"}
            continue
        measured = sorted(measured[2:])  # the first two warm the caches and the session
        out[name] = {"rows": len(page.items), "p50_ms": round(statistics.median(measured), 1),
                     "p99_ms": round(measured[min(len(measured) - 1, round(0.99 * (len(measured) - 1)))], 1),
                     "max_ms": round(measured[-1], 1)}
    database.dispose()
    return out


def sqlite_case(path: str, runs: int) -> dict[str, Any]:
    """The searches on a SQLite file of 1,100,000 tickets (made, timed, removed): FTS5's figures."""
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    seed(url, "head")
    seeded = time.perf_counter() - started
    try:
        return {"seed_seconds": round(seeded), "tickets": SEEDED + NEWER, "searches": timings(url, runs)}
    finally:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)


def time_searches(url: str, runs: int) -> None:
    import hub

    print(f"hub from {os.path.dirname(hub.__file__)}; load average before: {os.getloadavg()}")
    print(f"{'search':32} {'rows':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, figures in timings(url, runs).items():
        if "skipped" in figures:
            print(f"{name:32} ({figures['skipped']})")
        else:
            print(f"{name:32} {figures['rows']:5} {figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f} "
                  f"{figures['max_ms']:8.1f}")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("action", choices=["seed", "upgrade", "time", "scatter"])
    parser.add_argument("--revision", default="head")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if args.action == "seed":
        seed(args.url, args.revision)
    elif args.action == "upgrade":
        upgrade(args.url)
    elif args.action == "scatter":
        if not args.url.startswith("postgresql"):
            parser.error("scatter adds rows to a PostgreSQL database of the case; SQLite keeps no free-space map")
        print(f"added {SCATTERED:,} tickets among the newest in {seed_scattered(args.url):.0f} s")
    else:
        time_searches(args.url, args.runs)


if __name__ == "__main__":
    main()
