"""ServiceNow sync: the first import of 10,000 remote tickets, then an incremental sync of 100.

    python bench/itsm_import.py                # 10,000 records, fresh PostgreSQL database
    python bench/itsm_import.py --quick        # 1,000 records

The remote is the Table API double of the test suite (tests/fakes/servicenow.py) served
over real HTTP on loopback, so the figures include paging, JSON and the journal queries,
not a real instance's latency. The hub polls in process (``run_poll``, as the worker does)
into a fresh PostgreSQL database. Prints one ``JSON {...}`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mqtt_storm import Database  # noqa: E402 - the same fresh-database helper
from tests.fakes.runner import FakeServer  # noqa: E402
from tests.fakes.servicenow import ServiceNowFake  # noqa: E402


def run(options: argparse.Namespace) -> dict[str, Any]:
    from hub import create_app
    from hub.instances import create_instance
    from hub.jobs.polling import run_poll
    from hub.models import InboundEvent, Ticket

    database = Database(options)
    fake = ServiceNowFake()
    fake.user_timezone = "UTC"
    fake.clock.freeze(fake.clock.now() - timedelta(days=30))
    for n in range(options.count):
        # A backlog accumulates over weeks, not in one second: spread it over fake time, so
        # the poll's overlap window holds what it would in life.
        fake.clock.advance(minutes=3)
        fake.create_record("incident", short_description=f"Imported complaint {n}", description="From the IT desk",
                           impact=str(1 + n % 3), urgency=str(1 + (n // 3) % 3))
    try:
        with FakeServer(fake) as server, tempfile.TemporaryDirectory() as folder:
            app = create_app({"DATABASE_URL": database.url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench-secret",
                              "AUTO_MIGRATE": True, "LOAD_ENTRYPOINTS": False, "REDIS_URL": options.redis,
                              "QUEUE_PREFIX": f"benchsn{int(time.time())}",
                              "PLUGINS": [("servicenow", "connectors.servicenow")]})
            runtime = app.extensions["hub"]
            with runtime.db.transaction() as session:
                instance_id = create_instance(session=session, connector="servicenow", slug="sn", enabled=True,
                                              config={"instance_url": server.url, "username": "admin",
                                                      "password": "admin", "page_size": 500}).id
            started = time.perf_counter()
            first = run_poll(runtime, instance_id)
            imported_seconds = time.perf_counter() - started
            with runtime.db.reading() as session:
                tickets = session.scalar(select(func.count(Ticket.id))) or 0
            records = fake.records("incident")
            fake.clock.unfreeze()
            for record in records[:100]:
                fake.update_record("incident", record["sys_id"], state="2", comments="Looked at it")
            started = time.perf_counter()
            second = run_poll(runtime, instance_id)
            incremental_seconds = time.perf_counter() - started
            with runtime.db.reading() as session:
                events = session.scalar(select(func.count(InboundEvent.id))) or 0
                moved = session.scalar(select(func.count(Ticket.id)).where(Ticket.status == "in_progress")) or 0
            runtime.db.dispose()
    finally:
        database.drop()
    ok = first["status"] == "ok" and second["status"] == "ok" and tickets == options.count and moved == 100
    return {"records": options.count, "import_seconds": round(imported_seconds, 2),
            "import_tickets_per_second": round(tickets / imported_seconds, 1), "tickets": tickets,
            "incremental_changed": 100, "incremental_seconds": round(incremental_seconds, 2),
            "incremental_moved": moved, "events": events, "exact": ok,
            "first_run": {k: first.get(k) for k in ("status", "fetched", "created", "error")},
            "second_run": {k: second.get(k) for k in ("status", "fetched", "created", "updated", "error")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 records")
    parser.add_argument("--database-url", help="use this (empty) database instead of making one")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    options = parser.parse_args(argv)
    if options.quick:
        options.count = min(options.count, 1000)
    result = run(options)
    print("JSON " + json.dumps(result))
    return 0 if result["exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
