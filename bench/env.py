"""What every benchmark case needs: a fresh database, hub processes, a load generator."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def machine() -> dict[str, Any]:
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gib": round(memory_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}"}


def postgres_server() -> str:
    """The PostgreSQL server benchmarks make their databases on: HUB_BENCH_POSTGRES, with the
    driver the hub uses (psycopg 3) whatever the URL names, so ``postgresql://...`` works too."""
    raw = os.environ.get("HUB_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1/postgres")
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"HUB_BENCH_POSTGRES must be a postgresql:// URL, not {raw!r}")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BenchDatabase:
    """A PostgreSQL database made for one benchmark run and dropped after."""

    server_url: str
    name: str = field(default_factory=lambda: f"hub_bench_{uuid.uuid4().hex[:8]}")
    extra: dict[str, str] = field(default_factory=dict)
    """Variables every process of the run gets (the Redis URL)."""

    @property
    def url(self) -> str:
        return make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)

    def create(self) -> None:
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        run_hub(["db", "upgrade"], self.env())

    def drop(self) -> None:
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()

    def env(self, **extra: str) -> dict[str, str]:
        base = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
        base.update(HUB_DATABASE_URL=self.url, HUB_INSTANCE_PATH=str(HERE / "out" / self.name),
                    HUB_SECRET_KEY="bench", HUB_LOG_LEVEL="WARNING", HUB_TOKEN_CACHE_SECONDS="30",
                    HUB_QUEUE_PREFIX=self.name)
        base.update(self.extra)
        base.update(extra)
        return base

    def engine(self) -> Any:
        return create_engine(self.url)


def run_hub(args: list[str], env: dict[str, str], *, capture: bool = True) -> str:
    result = subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=capture, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"itsm-hub {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


@contextmanager
def process(argv: list[str], env: dict[str, str], *, ready_url: str | None = None, log_name: str = "process"):  # type: ignore[no-untyped-def]
    """A background process, stopped (TERM, then KILL) when the block ends."""
    (HERE / "out").mkdir(exist_ok=True)
    log = (HERE / "out" / f"{log_name}.log").open("w")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if ready_url:
            wait_http(ready_url, proc)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def gunicorn(app: str, port: int, env: dict[str, str], *, workers: int = 2, threads: int = 1,
             worker_class: str = "sync") -> list[str]:
    return [sys.executable, "-m", "gunicorn", app, "-b", f"127.0.0.1:{port}", "-w", str(workers),
            "--threads", str(threads), "-k", worker_class, "--log-level", "warning", "--keep-alive", "30",
            "--backlog", "2048", "--chdir", str(ROOT)]


def wrk(url: str, script: str, args: list[str], *, connections: int = 8, threads: int = 2,
        seconds: float = 10) -> dict[str, Any]:
    """Run wrk with a Lua script whose done() prints a JSON summary line."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "-s", str(HERE / "wrk" / script), url, "--", *args]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    for line in output.splitlines():
        if line.startswith("JSON "):
            data = json.loads(line[5:])
            data["rate"] = data["requests"] / (data["duration_us"] / 1e6)
            data["errors"] = sum(data[key] for key in data if key.startswith("errors_"))
            data["p50_ms"] = data["p50_us"] / 1000
            data["p99_ms"] = data["p99_us"] / 1000
            return data
    raise RuntimeError(f"wrk printed no summary:\n{output}")
