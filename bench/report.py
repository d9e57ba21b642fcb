"""bench/REPORT.md from one run's figures: each beside its target, the ceilings it sits under,
the statements each path costs, and for every missed target what bounds it (bench/LIMITS.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: What bounds a figure when it misses its target: measured with the profiles in LIMITS.md.
CAUSES = {
    "http_distinct": "CPU: 3.5 ms of the hub's Python per new ticket in one process (bench/profile_ingest.py), 4.5-5.8 "
                     "ms of a worker's CPU over HTTP (the workers' CPU time under wrk), on "
                     "the two cores gunicorn's workers share with PostgreSQL and wrk; the statements are at the budget "
                     "(table below); the figure moves by up to a third between runs on this machine "
                     "([LIMITS.md](LIMITS.md#http-ingest-of-distinct-events-target-1000s))",
    "http_repeat": "CPU: Flask, the webhook's token check, JSON and three round trips, 1.2-1.8 ms of a worker's CPU "
                   "per request on this machine kind (the workers' CPU time under wrk), for two workers sharing "
                   "two cores with PostgreSQL and wrk ([LIMITS.md](LIMITS.md#http-ingest-of-repeats-target-2000s))",
    "http_p99": "queueing behind the CPU-bound workers at 8 connections (2 workers, 2 cores)",
    "accepted": "the readers keep up (a handful of events unread at the end) on the same two cores the web "
                "workers answer on: every event is stored by a web worker and then read by a reader, and both "
                "take CPU (about 10 reader jobs a second: waking them is not the cost) "
                "([LIMITS.md](LIMITS.md#readers-the-202-path-and-bulk-intake-target-2000-ticketss))",
    "readers_meanwhile": "the rate of posts above: the readers make tickets as fast as posts are stored",
    "readers": "CPU: about 0.6 ms of the hub's Python per ticket in a batch (bench/profile_ingest.py --read), for two "
               "readers sharing two cores with PostgreSQL; the backlog of 100,000 was read in under a minute, worker "
               "start included ([LIMITS.md](LIMITS.md#readers-the-202-path-and-bulk-intake-target-2000-ticketss))",
    "statements_new": "over the budget of 7 and a COMMIT: a statement came back that the ticket's INSERT had taken "
                      "in (its number, its due times) or a savepoint on the one-event path; the table below names them "
                      "([LIMITS.md](LIMITS.md#http-ingest-of-distinct-events-target-1000s))",
    "statements_repeat": "the stored row and the first delivery's outcome are read in one SELECT after the "
                         "INSERT that conflicts; more means that read came apart again",
    "mqtt": "CPU: the listener, one process, takes 0.55-0.62 ms per alarm (paho-mqtt decoding MQTT 5 packets in "
            "Python on its network thread, the batch's reading and counting on the other), beside PostgreSQL on two "
            "cores; more alarms need more listeners (shared subscriptions) ([LIMITS.md](LIMITS.md#mqtt-alarm-storm))",
    "search": "over HTTP, 4 searches in flight on 2 cores, each 35-50 ms of PostgreSQL CPU walking the newer tickets' "
              "stored vectors: they queue (one at a time, in process: the rows below) "
              "([LIMITS.md](LIMITS.md#search-at-1000000-tickets-target-p99-100-ms))",
    "search_in_process": "a search that walks the newest tickets reads each one's row to test its stored vector: past "
                         "rows without the word it reads their pages, and where those rows lie a few to a page it "
                         "reads the more pages, beyond what PostgreSQL's 128 MB of shared buffers (its default, as "
                         "here) keeps ([LIMITS.md](LIMITS.md#search-at-1000000-tickets-target-p99-100-ms))",
    "outbox": "CPU: an HTTP push through requests costs about 2 ms, on rq workers whose own rate is the trivial-job "
              "ceiling beside it (table below) ([LIMITS.md](LIMITS.md#outbox-target-300s-with-2-workers))",
    "bulk": "PostgreSQL inserting the 5,000-row batches; raw batched inserts on the same host are the ceiling beside "
            "it (table below) ([LIMITS.md](LIMITS.md#bulk-intake-target-20000s))",
    "search_sqlite": "CPU: a search for a word in 200,000 tickets builds the set of their ids each time (about "
                     "42 ms of the relevance search's 60 on this host when quiet, then 13 ms walking the 105,000 "
                     "newest and 8 ms ranking 1,000); the host of this run gave half the previous run's ceilings "
                     "(bare Flask, single-row commits) "
                     "([LIMITS.md](LIMITS.md#search-at-1000000-tickets-target-p99-100-ms))",
}


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


class Summary:
    """The summary table's rows, and the causes of the rows that missed."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.missed: list[tuple[str, str]] = []

    def add(self, label: str, measured: Any, target: float | None, *, lower: bool = False, digits: int = 0,
            cause: str = "", shown: str | None = None) -> None:
        text = shown if shown is not None else _n(measured, digits)
        if target is None:
            self.rows.append(f"| {label} | {text} | - | |")
            return
        bound = f"{'≤' if lower else '≥'} {_n(target)}"
        if not isinstance(measured, int | float):
            self.rows.append(f"| {label} | {text} | {bound} | not measured |")
            return
        ok = measured <= target if lower else measured >= target
        self.rows.append(f"| {label} | {text} | {bound} | {'met' if ok else '**missed**'} |")
        if not ok:  # every miss is listed; one without a measured cause says so
            self.missed.append((label, CAUSES[cause] if cause else "no cause measured for this figure yet"))


def _ingest_rows(summary: Summary, results: dict[str, Any]) -> None:
    for key, label in (("http_ingest", "fresh install's plugins"), ("http_ingest_webhook_only", "webhook only")):
        for kind, target, cause in (("distinct", 1000, "http_distinct"), ("repeat", 2000, "http_repeat")):
            data = _get(results, key, kind) or {}
            counted = key == "http_ingest"
            summary.add(f"HTTP ingest, {kind} events, {label} (events/s)", data.get("rate"),
                        target if counted else None, cause=cause)
            summary.add(f"HTTP ingest p99, {kind}, {label} (ms)", data.get("p99_ms"), 50 if counted else None,
                        lower=True, digits=1, cause="http_p99")
    accepted = _get(results, "http_ingest", "accepted") or {}
    summary.add("HTTP ingest, `respond: accepted` (202 once stored; events/s)", accepted.get("rate"), 1000,
                cause="accepted")
    summary.add("... p99 (ms)", accepted.get("p99_ms"), 50, lower=True, digits=1, cause="http_p99")
    summary.add("... read into tickets by 2 readers meanwhile (tickets/s)", accepted.get("tickets_per_s"), 2000,
                cause="readers_meanwhile")
    storm = _get(results, "http_ingest", "storm") or {}
    if "tickets" in storm:
        ok = storm["tickets"] == 1 and storm["errors"] == 0
        summary.rows.append(f"| Duplicate storm: {storm['posts']} simultaneous posts | {storm['tickets']} ticket, "
                            f"{storm['errors']} errors | 1 ticket, 0 errors | {'met' if ok else '**missed**'} |")
    summary.add("Bulk NDJSON intake (events/s)", _get(results, "bulk", "accepted_per_s"), 20_000, cause="bulk")
    summary.add("... read into tickets by 2 readers (tickets/s)", _get(results, "bulk", "read_per_s"), 2000,
                cause="readers")
    for path, target, cause in (("new_ticket", 8, "statements_new"), ("repeat", 3, "statements_repeat")):
        summary.add(f"Statements for a {path.replace('_', ' ')}, COMMIT included", _get(
            results, "statements", path, "statements"), target, lower=True, cause=cause)


def _other_rows(summary: Summary, results: dict[str, Any]) -> None:
    mqtt = results.get("mqtt") or {}
    summary.add("MQTT alarm storm into PostgreSQL (alarms/s)", mqtt.get("alarms_per_second"), 5000, cause="mqtt",
                shown=(_n(mqtt.get("alarms_per_second")) + ("" if mqtt.get("exact", True) else " (NOT exact)"))
                if "alarms_per_second" in mqtt else f"error: {str(mqtt.get('error', 'not run'))[:80]}")
    summary.add("Outbox deliveries, 2 workers (/s)", _get(results, "outbox", "deliveries_per_s_2_workers"), 300,
                cause="outbox")
    sizes = sorted(int(key.split("_")[1]) for key in results if key.startswith("reads_"))
    for size in sizes:
        for kind in ("list", "search"):
            summary.add(f"{kind.capitalize()} p99 over HTTP at {size:,} tickets, PostgreSQL (ms)",
                        _get(results, f"reads_{size}", kind, "p99_ms"), 100 if size >= 1_000_000 else None,
                        lower=True, digits=1, cause="search")
    for key in [k for k in results if k.startswith("search_")]:
        database = "SQLite" if key == "search_sqlite" else "PostgreSQL"
        searches = _get(results, key, "searches") if database == "SQLite" else results[key]
        tickets = _get(results, key, "tickets") if database == "SQLite" else int(key.split("_")[1])
        # Beyond the target's case (bench.search_scale.SCATTERED): shown, with no target.
        scattered = key.endswith("_scattered")
        where = ", 120,000 more without the words among the newest, a few to a page" if scattered else ""
        if not isinstance(searches, dict) or "error" in searches:
            summary.add(f"Search, {database}{where}", None, None if scattered else 100, lower=True,
                        shown=str(searches)[:80])
            continue
        for name, figures in searches.items():
            summary.add(f"Search `{name}` p99 at {_n(tickets)} tickets{where}, {database}, in process (ms)",
                        figures.get("p99_ms"), None if scattered else 100, lower=True, digits=1,
                        cause="search_in_process" if database == "PostgreSQL" else "search_sqlite")


def _ceilings(results: dict[str, Any]) -> list[str]:
    lines = ["| Case | Hub | Ceiling | Share |", "| --- | --- | --- | --- |"]
    distinct = _get(results, "http_ingest", "distinct", "rate")
    pairs = [
        ("HTTP ingest vs a bare Flask JSON endpoint (same gunicorn, 2 workers, 8 connections)", distinct,
         _get(results, "bare_flask", "rate")),
        ("HTTP ingest vs raw single-row PostgreSQL commits (SQLAlchemy, 1 connection)", distinct,
         _get(results, "database", "single_row_commits_per_s")),
        ("Bulk intake vs raw 1,000-row batched inserts", _get(results, "bulk", "accepted_per_s"),
         _get(results, "database", "batched_rows_per_s")),
    ]
    for workers in (1, 2):
        pairs.append((f"Outbox deliveries vs rq trivial jobs, {workers} worker(s)",
                      _get(results, "outbox", f"deliveries_per_s_{workers}_workers"),
                      _get(results, "outbox", f"rq_trivial_jobs_per_s_{workers}_workers")))
    for label, hub, ceiling in pairs:
        if hub and ceiling:
            lines.append(f"| {label} | {_n(hub)}/s | {_n(ceiling)}/s | {_n(100 * hub / ceiling, 1)} % |")
    return lines


def _statements(results: dict[str, Any]) -> list[str]:
    counts = results.get("statements")
    if not isinstance(counts, dict) or "error" in counts:
        return [f"Not counted: {counts}"]
    lines = ["| Path | Answer | Statements (COMMIT included) | In order |", "| --- | --- | --- | --- |"]
    for path, data in counts.items():
        lines.append(f"| {path.replace('_', ' ')} | {data['status']} | {data['statements']} | "
                     + "; ".join(f"`{sql}`" for sql in data["sql"]) + " |")
    return lines


def write_report(results: dict[str, Any], path: Path) -> None:
    m = results["machine"]
    summary = Summary()
    _ingest_rows(summary, results)
    _other_rows(summary, results)
    lines = [
        "# Benchmark report",
        "",
        f"Run {results['started']} to {results.get('finished', '?')} on commit {results.get('commit', 'unknown')}, "
        f"{m['cores']} cores, {m['memory_gib']} GiB ({m['cpu']}), Python {m['python']}, {m['system']}; "
        f"load average before {results.get('load_before', '?')}, after {results.get('load_after', '?')}."
        + (" **Quick run: not for comparison.**" if results.get("quick") else ""),
        "Every figure below comes from this one run of `python -m bench` (raw figures: bench/out/results.json), "
        "with the plugins a fresh install enables unless a row says otherwise.",
        "",
        "## Summary",
        "",
        "| Figure | Measured | Target | |",
        "| --- | --- | --- | --- |",
        *summary.rows,
        "",
        "## What bounds each missed target",
        "",
        *([f"- **{label}**: {cause}." for label, cause in summary.missed] or ["Every target was met."]),
        "",
        "## Statements per path",
        "",
        *_statements(results),
        "",
        "## Beside the limits of its parts",
        "",
        *_ceilings(results),
        "",
        "## All figures",
        "",
        "```json",
        json.dumps({key: value for key, value in results.items() if key != "machine"}, indent=2, default=str),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))
