"""The benchmark cases. Each returns plain figures; bench/__main__.py writes the report."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from sqlalchemy import text

from bench.env import BenchDatabase, free_port, gunicorn, process, run_hub, wrk

TOKEN_SECRET = "bench-webhook-token-0123456789"
READ_SECONDS = 60


def prepare_hub(db: BenchDatabase) -> dict[str, str]:
    """An admin token and a token-authenticated webhook instance named ``bench``."""
    env = db.env()
    token = run_hub(["tokens", "create", "--role", "admin", "--name", "bench"], env).strip().splitlines()[-1]
    run_hub(["connectors", "add", "webhook", "bench", "--set", "auth=token", "--set", f"secret={TOKEN_SECRET}",
             "--set", "idempotency_field=id", "--enable"], env)
    # The same, answering 202 once a post is stored; workers read the posts in batches.
    run_hub(["connectors", "add", "webhook", "bench-accepted", "--set", "auth=token", "--set",
             f"secret={TOKEN_SECRET}", "--set", "idempotency_field=id", "--set", "respond=accepted", "--enable"], env)
    return {"token": token}


def http_ingest(db: BenchDatabase, seconds: float, connections: int = 8) -> dict[str, Any]:
    """Webhook posts through gunicorn (2 workers): distinct events, repeats, a duplicate storm."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run = uuid.uuid4().hex[:6]
    out: dict[str, Any] = {}
    with process(gunicorn("wsgi:app", port, db.env()), db.env(), ready_url=f"{base}/healthz", log_name="web"):
        out.update(distinct_and_repeats(base, run, seconds, connections))
        out["storm"] = duplicate_storm(base, 200)
        out["accepted"] = accepted_ingest(db, base, seconds, connections)
    with db.engine().connect() as connection:
        out["tickets_for_distinct"] = connection.execute(text(
            "SELECT count(*) FROM tickets WHERE title LIKE :pattern"), {"pattern": f"Benchmark event {run}-%"}).scalar()
    return out


def distinct_and_repeats(base: str, run: str, seconds: float, connections: int) -> dict[str, Any]:
    """After a 2 s warm-up: distinct events (each a new ticket), then one event posted again and again."""
    wrk(base, "post.lua", ["/api/v1/hooks/bench", TOKEN_SECRET, "distinct", "warm" + run], seconds=2,
        connections=connections)
    return {kind: wrk(base, "post.lua", ["/api/v1/hooks/bench", TOKEN_SECRET, kind, run], seconds=seconds,
                      connections=connections) for kind in ("distinct", "repeat")}


#: What a fresh install enables besides the connectors: switched off for the webhook-only figure.
FEATURE_PLUGINS = ("sla", "routing", "notify", "agent-notify", "insights")


def http_ingest_webhook_only(db: BenchDatabase, seconds: float, connections: int = 8) -> dict[str, Any]:
    """Distinct events and repeats as in http_ingest, with the feature plugins switched off:
    the figure earlier reports gave, beside the fresh install's (which is the one that counts)."""
    env = db.env()
    for name in FEATURE_PLUGINS:
        run_hub(["plugins", "disable", name], env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run = uuid.uuid4().hex[:6]
    out: dict[str, Any] = {"disabled": list(FEATURE_PLUGINS)}
    try:
        with process(gunicorn("wsgi:app", port, env), env, ready_url=f"{base}/healthz", log_name="web-bare"):
            out.update(distinct_and_repeats(base, run, seconds, connections))
    finally:
        for name in FEATURE_PLUGINS:
            run_hub(["plugins", "enable", name], env)
    return out


def accepted_ingest(db: BenchDatabase, base: str, seconds: float, connections: int) -> dict[str, Any]:
    """Distinct posts to an instance that answers 202 once stored, with 2 ingest workers
    reading them meanwhile: the acknowledgement rate, and how fast they become tickets."""
    run = uuid.uuid4().hex[:6]
    env = db.env()
    engine = db.engine()

    def unread() -> int:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM inbound_events e JOIN connector_instances i ON i.id = e.instance_id "
                "WHERE i.slug = 'bench-accepted' AND e.status = 'received'")).scalar() or 0)

    worker_cmd = [sys.executable, "-m", "hub", "worker", "--simple", "--queues", "ingest"]
    procs = [process(worker_cmd, env, log_name=f"reader{n}") for n in range(2)]
    for proc in procs:
        proc.__enter__()
    try:
        started = time.perf_counter()
        out: dict[str, Any] = wrk(base, "post.lua", ["/api/v1/hooks/bench-accepted", TOKEN_SECRET, "distinct", run],
                                  seconds=seconds, connections=connections)
        out["backlog_at_end"] = unread()
        _wait_until(lambda: unread() == 0, 900)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.__exit__(None, None, None)
    with engine.connect() as connection:
        made = int(connection.execute(text("SELECT count(*) FROM tickets WHERE title LIKE :pattern"),
                                      {"pattern": f"Benchmark event {run}-%"}).scalar() or 0)
    engine.dispose()
    out["tickets"] = made
    out["tickets_per_s"] = made / elapsed
    return out


def duplicate_storm(base: str, posts: int) -> dict[str, Any]:
    """``posts`` simultaneous posts of one event: must give one ticket and no error."""
    key = f"storm-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(posts)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=posts, pool_maxsize=posts))

    def post(_: int) -> tuple[int, str | None]:
        barrier.wait()
        response = session.post(f"{base}/api/v1/hooks/bench", json={"id": key, "title": "Storm"},
                                headers={"X-Hub-Token": TOKEN_SECRET}, timeout=60)
        return response.status_code, (response.json() or {}).get("ticket")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=posts) as pool:
        results = list(pool.map(post, range(posts)))
    elapsed = time.perf_counter() - started
    statuses = [status for status, _ in results]
    return {"posts": posts, "seconds": round(elapsed, 3), "errors": sum(1 for s in statuses if s >= 300),
            "tickets": len({ref for _, ref in results if ref}), "created": statuses.count(201)}


def bare_flask(seconds: float, connections: int = 8) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with process(gunicorn("bench.bare_app:app", port, {}), {"PATH": "/usr/bin:/bin"} | _pythonpath(),
                 log_name="bare"):
        _wait(base + "/echo", method="POST")
        return wrk(base, "post.lua", ["/echo", "-", "distinct", "bare"], seconds=seconds, connections=connections)


def _pythonpath() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key in ("PATH", "VIRTUAL_ENV", "HOME")}


def _wait(url: str, method: str = "GET", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.request(method, url, json={}, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def database_ceilings(db: BenchDatabase, seconds: float) -> dict[str, Any]:
    """Raw PostgreSQL through SQLAlchemy: single-row commits, and 1,000-row batched inserts."""
    engine = db.engine()
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial primary key, "
                                "k text not null, payload jsonb not null)"))
    count, started = 0, time.perf_counter()
    with engine.connect() as connection:
        while time.perf_counter() - started < seconds:
            connection.execute(text("INSERT INTO bench_rows (k, payload) VALUES (:k, CAST(:p AS jsonb))"),
                               {"k": f"s{count}", "p": '{"title": "x"}'})
            connection.commit()
            count += 1
    single = count / (time.perf_counter() - started)
    rows, started = 0, time.perf_counter()
    with engine.connect() as connection:
        while time.perf_counter() - started < seconds:
            connection.execute(text("INSERT INTO bench_rows (k, payload) VALUES (:k, CAST(:p AS jsonb))"),
                               [{"k": f"b{rows + n}", "p": '{"title": "x"}'} for n in range(1000)])
            connection.commit()
            rows += 1000
    batched = rows / (time.perf_counter() - started)
    engine.dispose()
    return {"single_row_commits_per_s": single, "batched_rows_per_s": batched}


def bulk_ingest(db: BenchDatabase, batches: int, batch_size: int = 10_000) -> dict[str, Any]:
    """NDJSON batches to /bulk: acceptance rate, then the workers' reading rate."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run = uuid.uuid4().hex[:6]
    env = db.env()
    bodies = ["\n".join(json.dumps({"id": f"bulk-{run}-{b}-{n}", "title": f"Bulk {n % 500}"})
                        for n in range(batch_size)) for b in range(batches)]
    with process(gunicorn("wsgi:app", port, env), env, ready_url=f"{base}/healthz", log_name="web-bulk"):
        def send(body: str) -> int:
            response = requests.post(f"{base}/api/v1/hooks/bench/bulk", data=body, timeout=300,
                                     headers={"X-Hub-Token": TOKEN_SECRET, "Content-Type": "application/x-ndjson"})
            response.raise_for_status()
            return int(response.json()["accepted"])

        # Two senders, one per gunicorn worker, as two busy sources would.
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            accepted = sum(pool.map(send, bodies))
        accept_seconds = time.perf_counter() - started
    total = batches * batch_size
    started = time.perf_counter()
    with process([sys.executable, "-m", "hub", "worker", "--simple", "--queues", "ingest"], env, log_name="w1"), \
            process([sys.executable, "-m", "hub", "worker", "--simple", "--queues", "ingest"], env, log_name="w2"):
        engine = db.engine()
        while True:
            with engine.connect() as connection:
                left = connection.execute(text(
                    "SELECT count(*) FROM inbound_events WHERE status = 'received'")).scalar()
            # Bounded in time: the reading rate is steady after a minute; the rest is waiting.
            # Timed here, not after the workers stop: a warm shutdown waits for a reader's job.
            read_seconds = time.perf_counter() - started
            if not left or read_seconds > READ_SECONDS:
                break
            time.sleep(0.5)
        engine.dispose()
    return {"events": total, "accepted": accepted, "accept_seconds": accept_seconds,
            "accepted_per_s": accepted / accept_seconds, "read_seconds": read_seconds,
            "read_per_s": (accepted - left) / read_seconds, "unread_when_measured": left}


#: The seeded incidents (``n`` runs over a generate_series the caller adds): searchable words
#: in titles and descriptions, the newest first. bench/search_scale.py seeds the same rows.
SEEDED_INCIDENTS = """
INSERT INTO tickets (kind, number, ref, title, description, status, impact, urgency, priority, source,
                     occurrence_count, flapping, tags, custom_fields, created_at, updated_at, version)
SELECT 'incident', 1000000 + n, 'INC-' || (1000000 + n),
       (ARRAY['Boiler pressure low', 'Towels not replaced', 'Fill volume out of tolerance',
              'Air conditioning broken', 'Label printer jam'])[1 + n % 5] || ' ' || n,
       'Reported by a guest in room ' || (n % 900) || '. ' ||
       (ARRAY['hot water', 'noise', 'leak', 'smell', 'light'])[1 + n % 5],
       (ARRAY['new','acknowledged','in_progress','on_hold','resolved','closed'])[1 + n % 6],
       'medium', 'medium', 1 + n % 5, 'bench', 1, false, '[]', '{}',
       now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval, 1
"""


def seed_tickets(db: BenchDatabase, count: int) -> float:
    """``count`` incidents straight into the table (titles and descriptions with searchable words)."""
    started = time.perf_counter()
    engine = db.engine()
    with engine.begin() as connection:
        connection.execute(text(SEEDED_INCIDENTS + """
            FROM generate_series((SELECT coalesce(max(number), 1000000) - 1000000 + 1 FROM tickets
                                  WHERE number > 1000000), :last) AS n
        """), {"last": count})
    # As autovacuum would have done on a table that grew over months: without it the first
    # reads after a bulk load set hint bits on a million rows and the figures measure that.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE tickets"))
    engine.dispose()
    return time.perf_counter() - started


def clear_tickets(db: BenchDatabase) -> dict[str, Any]:
    """Remove the tickets earlier cases made, so the read cases hold the tickets they name.

    The ingest cases leave some 120,000 tickets without a searched word; the seeded ones,
    made minutes later, put them among the newest, so searches past them walked twice the
    rows without the word that the target's case holds (bench/LIMITS.md, search).
    bench/search_scale.py measures that layout on its own (``scatter``)."""
    engine = db.engine()
    with engine.begin() as connection:
        removed = connection.scalar(text("SELECT count(*) FROM tickets"))
        connection.execute(text("TRUNCATE tickets CASCADE"))
    engine.dispose()
    return {"removed": removed}


def read_latency(db: BenchDatabase, token: str, seconds: float) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = {}
    with process(gunicorn("wsgi:app", port, db.env()), db.env(), ready_url=f"{base}/healthz", log_name="web-read"):
        cases = {
            "list": ["/api/v1/incidents?limit=50", "/api/v1/incidents?limit=50&sort=priority",
                     "/api/v1/incidents?limit=50&status=in_progress", "/api/v1/incidents?limit=50&priority=1"],
            "search": ["/api/v1/incidents?limit=50&q=boiler", "/api/v1/incidents?limit=50&q=leak%20room",
                       "/api/v1/incidents?limit=50&q=printer&status=new"],
        }
        for name, paths in cases.items():
            wrk(base, "get.lua", [token, *paths], seconds=1, connections=2)
            out[name] = wrk(base, "get.lua", [token, *paths], seconds=seconds, connections=4)
    return out


def _wait_until(check: Any, timeout: float) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise RuntimeError("timed out waiting")
        time.sleep(0.05)
    return time.perf_counter() - started


def outbox_delivery(db: BenchDatabase, messages: int) -> dict[str, Any]:
    """Deliveries per second with 1 and 2 workers to a local HTTP sink, beside rq's trivial-job rate."""
    from redis import Redis
    from rq import Queue

    from hub.jobs import tasks

    env = db.env()
    sink_port = free_port()
    sink = f"http://127.0.0.1:{sink_port}"
    run_hub(["connectors", "add", "webhook", "sink", "--set", "auth=token", "--set", f"secret={TOKEN_SECRET}",
             "--set", f"push_url={sink}/echo", "--set", "push_scope=all", "--enable"], env)
    engine = db.engine()
    with engine.begin() as connection:
        instance_id = connection.execute(text("SELECT id FROM connector_instances WHERE slug = 'sink'")).scalar()
        ticket_id = connection.execute(text("SELECT min(id) FROM tickets")).scalar()
    results: dict[str, Any] = {}
    redis = Redis.from_url(env.get("HUB_REDIS_URL", "redis://127.0.0.1:6379/0"))
    # The receiver keeps connections alive, as a real remote API does (gunicorn's sync
    # workers close each one, which measured TCP set-up rather than the hub).
    with process(gunicorn("bench.bare_app:app", sink_port, {}, workers=2, threads=4, worker_class="gthread"),
                 _pythonpath(), log_name="sink"):
        _wait(sink + "/echo", method="POST")
        for workers in (1, 2):
            run = uuid.uuid4().hex[:6]
            with engine.begin() as connection:
                connection.execute(text("""
                    INSERT INTO outbox_messages (lane, instance_id, ticket_id, action, payload, idempotency_key,
                                                 status, attempts, next_attempt_at, created_at, result)
                    SELECT 'bench:' || :run || ':' || n, :instance, :ticket, 'update', '{}', :run || '-' || n,
                           'pending', 0, now(), now(), '{}' FROM generate_series(1, :count) AS n
                """), {"run": run, "instance": instance_id, "ticket": ticket_id, "count": messages})

            def delivered(run: str = run) -> bool:
                with engine.connect() as connection:
                    return connection.execute(text(
                        "SELECT count(*) FROM outbox_messages WHERE status = 'delivered' AND lane LIKE :p"),
                        {"p": f"bench:{run}:%"}).scalar() == messages

            worker_cmd = [sys.executable, "-m", "hub", "worker", "--simple", "--queues", "outbound"]
            with process([sys.executable, "-m", "hub", "scheduler", "--tick", "0.2"], env, log_name="sched"):
                procs = [process(worker_cmd, env, log_name=f"deliver{n}") for n in range(workers)]
                for proc in procs:
                    proc.__enter__()
                try:
                    seconds = _wait_until(delivered, 600)
                finally:
                    for proc in procs:
                        proc.__exit__(None, None, None)
            results[f"deliveries_per_s_{workers}_workers"] = messages / seconds
        for workers in (1, 2):
            queue = Queue(f"{db.name}-maintenance", connection=redis)
            for _ in range(messages):
                queue.enqueue(tasks.noop, result_ttl=0)
            worker_cmd = [sys.executable, "-m", "hub", "worker", "--simple", "--queues", "maintenance"]
            procs = [process(worker_cmd, env, log_name=f"noop{n}") for n in range(workers)]
            started = time.perf_counter()
            for proc in procs:
                proc.__enter__()
            try:
                _wait_until(lambda q=queue: q.count == 0 and not q.started_job_registry.count, 600)
            finally:
                for proc in procs:
                    proc.__exit__(None, None, None)
            results[f"rq_trivial_jobs_per_s_{workers}_workers"] = messages / (time.perf_counter() - started)
    engine.dispose()
    return results
