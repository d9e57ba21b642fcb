"""ITSM sync: the first import of 10,000 remote tickets, then an incremental sync of 100.

    python bench/itsm_import.py                      # all three systems, 10,000 tickets each
    python bench/itsm_import.py --system jira        # servicenow | jira | rt | all
    python bench/itsm_import.py --quick              # 1,000 tickets

The remote is each system's double from the test suite (tests/fakes/servicenow.py,
jira.py, rt.py) served over real HTTP on loopback, so the figures include paging, JSON
and the per-ticket reads each connector makes, not a real instance's latency; the doubles
keep everything in memory and some of their lookups scan every record, which counts too.
The hub polls in process (``run_poll``, as the worker does) into a fresh PostgreSQL
database per system. Prints one ``JSON {...}`` line with an entry per system.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mqtt_storm import Database  # noqa: E402 - the same fresh-database helper
from tests.fakes.base import FakeService  # noqa: E402
from tests.fakes.jira import JiraFake  # noqa: E402
from tests.fakes.rt import RTFake  # noqa: E402
from tests.fakes.runner import FakeServer  # noqa: E402
from tests.fakes.servicenow import ServiceNowFake  # noqa: E402

CHANGED = 100
SUBJECT = "Imported complaint {n}"
DESCRIPTION = "From the IT desk"
REPLY = "Looked at it"


class Remote(ABC):
    """What differs between systems: the double, its seeding and changes, the instance config."""

    name: ClassVar[str]
    """The connector's plugin name (setup.cfg, itsm_hub entry points) and module."""
    module: ClassVar[str]
    moved_status: ClassVar[str] = "in_progress"
    """The hub status a changed ticket ends in: each change below maps to it."""

    @property
    @abstractmethod
    def fake(self) -> FakeService: ...

    def seed(self, count: int) -> None:
        clock = self.fake.clock
        clock.freeze(clock.now() - timedelta(days=30))
        for n in range(count):
            # A backlog accumulates over weeks, not in one second: spread it over fake time,
            # so the poll's overlap window holds what it would in life.
            clock.advance(minutes=3)
            self.create(n)
        # Ticking again: the changes land after the import's newest ticket, as they would.
        clock.unfreeze()

    @abstractmethod
    def create(self, n: int) -> None: ...

    @abstractmethod
    def change_first(self, count: int) -> None:
        """Give the ``count`` oldest tickets a state change and a public comment each."""

    @abstractmethod
    def config(self, url: str) -> dict[str, Any]: ...


class ServiceNow(Remote):
    name = "servicenow"
    module = "connectors.servicenow"

    def __init__(self) -> None:
        self._fake = ServiceNowFake(user_timezone="UTC")

    @property
    def fake(self) -> ServiceNowFake:
        return self._fake

    def create(self, n: int) -> None:
        self._fake.create_record("incident", short_description=SUBJECT.format(n=n), description=DESCRIPTION,
                                 impact=str(1 + n % 3), urgency=str(1 + (n // 3) % 3))

    def change_first(self, count: int) -> None:
        for record in self._fake.records("incident")[:count]:
            self._fake.update_record("incident", record["sys_id"], state="2", comments=REPLY)

    def config(self, url: str) -> dict[str, Any]:
        return {"instance_url": url, "username": "admin", "password": "admin", "page_size": 500}


class Jira(Remote):
    name = "jira"
    module = "connectors.jira"

    def __init__(self) -> None:
        self._fake = JiraFake()

    @property
    def fake(self) -> JiraFake:
        return self._fake

    def create(self, n: int) -> None:
        self._fake.create_issue("ITSM", SUBJECT.format(n=n), description=DESCRIPTION, issuetype="Incident",
                                priority=("High", "Medium", "Low")[n % 3])

    def change_first(self, count: int) -> None:
        for issue in self._fake.issues()[:count]:
            self._fake.transition_issue(issue["key"], "In Progress")
            self._fake.add_comment(issue["key"], REPLY)  # public: a service project's default

    def config(self, url: str) -> dict[str, Any]:
        # page_size stays at its default: the double, like Jira, sends at most 100 issues a page.
        return {"site_url": url, "email": "hub@example.com", "api_token": "jira-token", "project": "ITSM",
                "incident_types": ["Incident"]}


class RequestTracker(Remote):
    name = "rt"
    module = "connectors.rt"

    def __init__(self) -> None:
        self._fake = RTFake()

    @property
    def fake(self) -> RTFake:
        return self._fake

    def create(self, n: int) -> None:
        self._fake.create_ticket("General", SUBJECT.format(n=n), content=DESCRIPTION, priority=50 * (n % 3),
                                 requestor=[f"user{n % 50}@example.com"])

    def change_first(self, count: int) -> None:
        for ticket in self._fake.tickets()[:count]:
            self._fake.update_ticket(ticket["id"], Status="open")
            self._fake.correspond(ticket["id"], REPLY)  # a reply is RT's public comment

    def config(self, url: str) -> dict[str, Any]:
        return {"url": url, "token": "rt-token", "rt_user": "hub", "page_size": 100}


SYSTEMS: dict[str, type[Remote]] = {"servicenow": ServiceNow, "jira": Jira, "rt": RequestTracker}


def run(remote: Remote, options: argparse.Namespace) -> dict[str, Any]:
    from hub import create_app
    from hub.jobs.polling import run_poll
    from hub.models import Comment, InboundEvent, Ticket
    from hub.plugins.instances import create_instance

    database = Database(options)
    seeding = time.perf_counter()
    remote.seed(options.count)
    seed_seconds = time.perf_counter() - seeding
    try:
        with FakeServer(remote.fake) as server, tempfile.TemporaryDirectory() as folder:
            app = create_app({"DATABASE_URL": database.url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench-secret",
                              "AUTO_MIGRATE": True, "LOAD_ENTRYPOINTS": False, "REDIS_URL": options.redis,
                              "QUEUE_PREFIX": f"bench{remote.name}{int(time.time())}",
                              "PLUGINS": [(remote.name, remote.module)]})
            runtime = app.extensions["hub"]
            with runtime.db.transaction() as session:
                instance_id = create_instance(session=session, connector=remote.name, slug=remote.name,
                                              enabled=True, config=remote.config(server.url)).id
            asked = [len(remote.fake.received())]  # the double logs every request: the sync's cost in calls
            started = time.perf_counter()
            first = run_poll(runtime, instance_id)
            imported_seconds = time.perf_counter() - started
            asked.append(len(remote.fake.received()))
            with runtime.db.reading() as session:
                tickets = session.scalar(select(func.count(Ticket.id))) or 0
            changed = min(CHANGED, options.count)
            remote.change_first(changed)
            started = time.perf_counter()
            second = run_poll(runtime, instance_id)
            incremental_seconds = time.perf_counter() - started
            asked.append(len(remote.fake.received()))
            with runtime.db.reading() as session:
                events = session.scalar(select(func.count(InboundEvent.id))) or 0
                moved = session.scalar(select(func.count(Ticket.id)).where(
                    Ticket.status == remote.moved_status)) or 0
                comments = session.scalar(select(func.count(Comment.id)).where(Comment.visibility == "public")) or 0
            runtime.db.dispose()
    finally:
        database.drop()
    ok = (first["status"] == "ok" and second["status"] == "ok" and tickets == options.count
          and moved == changed and comments == changed)
    return {"records": options.count, "seed_seconds": round(seed_seconds, 2),
            "import_seconds": round(imported_seconds, 2),
            "import_tickets_per_second": round(tickets / imported_seconds, 1), "tickets": tickets,
            "import_requests": asked[1] - asked[0],
            "incremental_changed": changed, "incremental_seconds": round(incremental_seconds, 2),
            "incremental_requests": asked[2] - asked[1],
            "incremental_moved": moved, "incremental_comments": comments, "events": events, "exact": ok,
            "first_run": {k: first.get(k) for k in ("status", "fetched", "created", "error")},
            "second_run": {k: second.get(k) for k in ("status", "fetched", "created", "updated", "error")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--system", choices=[*SYSTEMS, "all"], default="all")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 records")
    parser.add_argument("--database-url", help="use this (empty) database instead of making one; one system only")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    options = parser.parse_args(argv)
    if options.quick:
        options.count = min(options.count, 1000)
    names = list(SYSTEMS) if options.system == "all" else [options.system]
    if options.database_url and len(names) > 1:
        parser.error("--database-url needs one --system: each system imports into an empty database")
    results: dict[str, Any] = {}
    for name in names:
        results[name] = run(SYSTEMS[name](), options)
        print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    print("JSON " + json.dumps(results))
    return 0 if all(result["exact"] for result in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
