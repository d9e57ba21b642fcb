"""bench/REPORT.md from one run's figures: each beside its target and the ceilings it sits under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    "http_distinct": 1000, "http_repeat": 1000, "http_p99_ms": 50, "bulk": 20_000, "mqtt": 5000,
    "outbox_2": 300, "reads_p99_ms": 100,
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


def _verdict(measured: Any, target: float, lower_is_better: bool = False) -> str:
    if not isinstance(measured, int | float):
        return "not measured"
    ok = measured <= target if lower_is_better else measured >= target
    return "met" if ok else "**missed**"


def write_report(results: dict[str, Any], path: Path) -> None:
    m = results["machine"]
    lines = [
        "# Benchmark report",
        "",
        f"Run {results['started']} to {results.get('finished', '?')} on {m['cores']} cores, {m['memory_gib']} GiB "
        f"({m['cpu']}), Python {m['python']}, {m['system']}." + (" **Quick run: not for comparison.**"
                                                                 if results.get("quick") else ""),
        "Every figure below comes from this one run of `python -m bench` (raw figures: bench/out/results.json).",
        "",
        "## Summary",
        "",
        "| Figure | Measured | Target | |",
        "| --- | --- | --- | --- |",
    ]
    bare = _get(results, "bare_flask", "rate")
    single = _get(results, "database", "single_row_commits_per_s")
    batched = _get(results, "database", "batched_rows_per_s")
    distinct = _get(results, "http_ingest", "distinct")
    repeat = _get(results, "http_ingest", "repeat")
    for label, data in (("HTTP ingest, distinct events (events/s)", distinct),
                        ("HTTP ingest, repeats of one event (events/s)", repeat)):
        rate = data.get("rate") if isinstance(data, dict) else None
        lines.append(f"| {label} | {_n(rate)} | ≥ 1,000 | {_verdict(rate, 1000)} |")
    for label, data in (("HTTP ingest p99, distinct (ms)", distinct), ("HTTP ingest p99, repeats (ms)", repeat)):
        p99 = data.get("p99_ms") if isinstance(data, dict) else None
        lines.append(f"| {label} | {_n(p99, 1)} | ≤ 50 | {_verdict(p99, 50, True)} |")
    accepted = _get(results, "http_ingest", "accepted")
    if isinstance(accepted, dict) and "rate" in accepted:
        lines.append(f"| HTTP ingest, distinct, `respond: accepted` (202 once stored; events/s) | "
                     f"{_n(accepted['rate'])} | ≥ 1,000 | {_verdict(accepted['rate'], 1000)} |")
        lines.append(f"| HTTP ingest p99, `respond: accepted` (ms) | {_n(accepted.get('p99_ms'), 1)} | ≤ 50 | "
                     f"{_verdict(accepted.get('p99_ms'), 50, True)} |")
        lines.append(f"| ... read into tickets by 2 workers meanwhile (tickets/s, until the backlog is empty) | "
                     f"{_n(accepted.get('tickets_per_s'))} | - | |")
    storm = _get(results, "http_ingest", "storm")
    if isinstance(storm, dict) and "tickets" in storm:
        ok = storm["tickets"] == 1 and storm["errors"] == 0
        lines.append(f"| Duplicate storm: {storm['posts']} simultaneous posts | {storm['tickets']} ticket, "
                     f"{storm['errors']} errors | 1 ticket, 0 errors | {'met' if ok else '**missed**'} |")
    bulk = _get(results, "bulk", "accepted_per_s")
    lines.append(f"| Bulk NDJSON intake (events/s) | {_n(bulk)} | ≥ 20,000 | {_verdict(bulk, 20_000)} |")
    mqtt = _get(results, "mqtt", "alarms_per_s")
    lines.append(f"| MQTT alarm storm (alarms/s) | {_n(mqtt)} | ≥ 5,000 | {_verdict(mqtt, 5000)} |")
    out2 = _get(results, "outbox", "deliveries_per_s_2_workers")
    lines.append(f"| Outbox deliveries, 2 workers (/s) | {_n(out2)} | ≥ 300 | {_verdict(out2, 300)} |")
    for size in (100_000, 1_000_000, 10_000, 50_000):
        for kind in ("list", "search"):
            p99 = _get(results, f"reads_{size}", kind, "p99_ms")
            if p99 is not None or size in (100_000, 1_000_000):
                lines.append(f"| {kind.capitalize()} p99 at {size:,} tickets (ms) | {_n(p99, 1)} | "
                             f"{'≤ 100' if size >= 1_000_000 else '-'} | "
                             f"{_verdict(p99, 100, True) if size >= 1_000_000 else ''} |")
    lines += ["", "## Beside the limits of its parts", "",
              "| Case | Hub | Ceiling | Share |", "| --- | --- | --- | --- |"]
    if isinstance(distinct, dict) and bare:
        lines.append(f"| HTTP ingest vs a bare Flask JSON endpoint (same gunicorn, 2 workers, 8 connections) | "
                     f"{_n(distinct.get('rate'))}/s | {_n(bare)}/s | {_n(100 * distinct['rate'] / bare, 1)} % |")
    if isinstance(distinct, dict) and single:
        lines.append(f"| HTTP ingest vs raw single-row PostgreSQL commits (SQLAlchemy, 1 connection) | "
                     f"{_n(distinct.get('rate'))}/s | {_n(single)}/s | {_n(100 * distinct['rate'] / single, 1)} % |")
    if bulk and batched:
        lines.append(f"| Bulk intake vs raw 1,000-row batched inserts | {_n(bulk)}/s | {_n(batched)}/s | "
                     f"{_n(100 * bulk / batched, 1)} % |")
    rq1, rq2 = _get(results, "outbox", "rq_trivial_jobs_per_s_1_workers"), _get(
        results, "outbox", "rq_trivial_jobs_per_s_2_workers")
    out1 = _get(results, "outbox", "deliveries_per_s_1_workers")
    if out1 and rq1:
        lines.append(f"| Outbox deliveries, 1 worker vs rq trivial jobs, 1 worker | {_n(out1)}/s | {_n(rq1)}/s | "
                     f"{_n(100 * out1 / rq1, 1)} % |")
    if out2 and rq2:
        lines.append(f"| Outbox deliveries, 2 workers vs rq trivial jobs, 2 workers | {_n(out2)}/s | {_n(rq2)}/s | "
                     f"{_n(100 * out2 / rq2, 1)} % |")
    lines += ["", "## What limits the missed targets", "",
              "Measured separately (profiles, not part of this run's figures): [bench/LIMITS.md](LIMITS.md)."]
    lines += ["", "## All figures", "", "```json"]
    import json

    lines.append(json.dumps({key: value for key, value in results.items() if key != "machine"}, indent=2,
                            default=str))
    lines += ["```", ""]
    notes = Path(__file__).with_name("NOTES.md")
    if notes.exists():
        lines += [notes.read_text()]
    path.write_text("\n".join(lines))
