"""Profile webhook ingest in one process (pyinstrument), or time it: the figures of bench/LIMITS.md.

    PYTHONPATH=. python bench/profile_ingest.py [N] [--accepted | --repeat | --read] [--profile]

Makes a PostgreSQL database of its own (HUB_BENCH_POSTGRES, as `python -m bench`), posts N
distinct events through the test client and prints events/s and CPU milliseconds per event.
``--read`` posts them to an instance answering 202 and times (or profiles) the reader
turning the stored events into tickets instead.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.env import postgres_server
from hub import create_app
from hub.app import migrate
from hub.core.db import Database
from tests.conftest import make_token

SECRET = "feed-token-xxxxxxxxxxxx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1000)
    parser.add_argument("--accepted", action="store_true", help="the webhook answers 202 once stored")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    parser.add_argument("--repeat", action="store_true", help="post one event again and again (the repeat path)")
    parser.add_argument("--read", action="store_true",
                        help="store N events answering 202, then time the reader making their tickets")
    parser.add_argument("--webhook-only", action="store_true",
                        help="only the webhook connector (default: every plugin a fresh install enables)")
    args = parser.parse_args()
    server = postgres_server()
    name = "hub_profile_" + uuid.uuid4().hex[:6]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    # The server URL may carry a query (sslmode=...): only its database is replaced.
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(url)
        migrate.upgrade(database)
        database.dispose()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 32, "INSTANCE_PATH": tempfile.mkdtemp(),
                          "REDIS_URL": os.environ.get("HUB_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
                          # A fresh install's plugin set unless asked otherwise: a figure from a
                          # stripped set misleads (issue 23).
                          **({"LOAD_ENTRYPOINTS": False, "PLUGINS": [("webhook", "connectors.webhook")]}
                             if args.webhook_only else {}),
                          "QUEUE_PREFIX": name})
        client = app.test_client()
        token = make_token(app, "admin", "profiler")
        config = {"auth": "token", "secret": SECRET, "idempotency_field": "id"}
        if args.accepted or args.read:
            config["respond"] = "accepted"
        created = client.post("/api/v1/admin/instances", headers={"Authorization": f"Bearer {token}"},
                              json={"connector": "webhook", "slug": "feed", "enabled": True, "config": config})
        assert created.status_code == 201, created.json

        def post(count: int, run: str) -> None:
            for number in range(count):
                response = client.post("/api/v1/hooks/feed", headers={"X-Hub-Token": SECRET},
                                       json={"id": f"{run}-{0 if args.repeat else number}",
                                             "title": f"Event {run} {0 if args.repeat else number}"})
                assert response.status_code in ((200, 201, 202) if args.repeat else (201, 202)), response.json

        post(200, "warm")
        if args.read:
            read_stored(app, args.count, post, args.profile)
        elif args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
            post(args.count, "profiled")
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False))
        else:
            wall, cpu = time.perf_counter(), time.process_time()
            post(args.count, "timed")
            print(f"{args.count / (time.perf_counter() - wall):.0f} events/s, "
                  f"{1000 * (time.process_time() - cpu) / args.count:.2f} ms CPU per event")
        app.extensions["hub"].db.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def read_stored(app: Any, count: int, post: Callable[[int, str], None], profile: bool) -> None:
    """Read the warm-up's events, store ``count`` more, then time the reader on them."""
    from hub.jobs.reader import read_batches

    runtime = app.extensions["hub"]
    with runtime.db.transaction() as session:
        instance_id = session.scalar(text("SELECT id FROM connector_instances WHERE slug = 'feed'"))
    read_batches(runtime, instance_id, {})
    post(count, "read")
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    counts: dict[str, int] = {}
    read_batches(runtime, instance_id, counts)
    elapsed, used = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    print(f"read {counts}: {count / elapsed:.0f} tickets/s, {1000 * used / count:.2f} ms CPU per ticket")


if __name__ == "__main__":
    main()
