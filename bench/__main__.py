"""`python -m bench`: run every benchmark case on loopback and write bench/REPORT.md.

It needs PostgreSQL (HUB_BENCH_POSTGRES, default postgresql+psycopg://postgres@127.0.0.1/postgres),
Redis (HUB_BENCH_REDIS, default redis://127.0.0.1:6379/0), Mosquitto for the MQTT case,
and wrk. A fresh database is made for the run and dropped after. `--quick` shortens
everything (for a smoke run); the committed report comes from a full run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import cases, search_scale
from bench.env import HERE, BenchDatabase, machine, postgres_server
from bench.report import write_report
from bench.statements import count_statements


def _external(script: str, args: list[str], timeout: float) -> dict[str, Any]:
    """Cases other modules own (MQTT storm, ITSM import): they print one `JSON {...}` line."""
    path = HERE / script
    if not path.exists():
        return {"skipped": f"{script} is not present"}
    result = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=timeout,
                            cwd=HERE.parent)
    for line in result.stdout.splitlines()[::-1]:
        if line.startswith("JSON "):
            return json.loads(line[5:])  # type: ignore[no-any-return]
    return {"error": (result.stdout + result.stderr)[-2000:]}


def _commit() -> str:
    """The commit measured, marked when the working tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=HERE).stdout
    return head.strip() + (" (with uncommitted changes)" if dirty.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Short runs (a smoke test of the runner).")
    parser.add_argument("--cases", default="ceilings,ingest,bulk,outbox,mqtt,itsm,reads")
    parser.add_argument("--output", type=Path, default=HERE / "REPORT.md")
    parser.add_argument("--json", type=Path, default=HERE / "out" / "results.json")
    args = parser.parse_args()
    server = postgres_server()
    redis_url = os.environ.get("HUB_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    seconds = 3 if args.quick else 15
    wanted = set(args.cases.split(","))
    results: dict[str, Any] = {"machine": machine(), "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                               "commit": _commit(), "quick": args.quick,
                               "load_before": [round(x, 2) for x in os.getloadavg()]}
    (HERE / "out").mkdir(exist_ok=True)

    def step(name: str, action: Any) -> None:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            results[name] = action()
        except Exception as exc:  # a failed case is reported, the others still run
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"   {json.dumps(results[name], default=str)[:300]} ({time.perf_counter() - started:.0f}s)", flush=True)

    db = BenchDatabase(server, extra={"HUB_REDIS_URL": redis_url})
    db.create()
    try:
        setup = cases.prepare_hub(db)
        step("statements", lambda: count_statements(db, cases.TOKEN_SECRET))
        if "ceilings" in wanted:
            step("bare_flask", lambda: cases.bare_flask(seconds))
            step("database", lambda: cases.database_ceilings(db, seconds))
        if "ingest" in wanted:
            step("http_ingest", lambda: cases.http_ingest(db, seconds))
            step("http_ingest_webhook_only", lambda: cases.http_ingest_webhook_only(db, seconds))
        if "bulk" in wanted:
            step("bulk", lambda: cases.bulk_ingest(db, 2 if args.quick else 10))
        if "outbox" in wanted:
            step("outbox", lambda: cases.outbox_delivery(db, 300 if args.quick else 5000))
        if "mqtt" in wanted:
            step("mqtt", lambda: _external("mqtt_storm.py", ["--quick"] if args.quick else [], 1800))
        if "itsm" in wanted:
            step("itsm", lambda: _external("itsm_import.py", ["--quick"] if args.quick else [], 3600))
        if "reads" in wanted:
            sizes = (10_000, 50_000) if args.quick else (100_000, 1_000_000)
            step("clear_tickets", lambda: cases.clear_tickets(db))
            for size in sizes:
                step(f"seed_{size}", lambda size=size: {"seconds": cases.seed_tickets(db, size)})
                step(f"reads_{size}", lambda: cases.read_latency(db, setup["token"], seconds))
            # The case that made search walk every row: 100,000 newer tickets without the words.
            newer = sizes[-1] + search_scale.NEWER
            step(f"seed_{newer}", lambda: {"seconds": search_scale.seed_newer(db.url)})
            step(f"reads_{newer}", lambda: cases.read_latency(db, setup["token"], seconds))
            step(f"search_{newer}", lambda: search_scale.timings(db.url, 20 if args.quick else 100))
            if not args.quick:  # beyond the target's case: more tickets without the words, among the newest
                scattered = newer + search_scale.SCATTERED
                step(f"seed_{scattered}_scattered", lambda: {"seconds": search_scale.seed_scattered(db.url)})
                step(f"search_{scattered}_scattered", lambda: search_scale.timings(db.url, 100))
            if not args.quick:  # the same searches on SQLite (FTS5), a file of 1,100,000 tickets
                step("search_sqlite", lambda: search_scale.sqlite_case(str(HERE / "out" / "search.db"), 100))
    finally:
        db.drop()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    args.json.parent.mkdir(exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    write_report(results, args.output)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
