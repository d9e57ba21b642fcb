"""Running the hub's own processes from tests, and finding free ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import requests

from tests.support.waiting import wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hub_env(instance: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update(HUB_INSTANCE_PATH=str(instance), HUB_LOAD_ENTRYPOINTS="true", **extra)
    return env


def hub_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub", *args]


def wait_http(url: str, timeout: float = 60.0, log: Callable[[], str] | None = None) -> None:
    """Wait until ``url`` answers anything but a server error."""

    def answers() -> bool:
        status = requests.get(url, timeout=2).status_code
        if status >= 500:
            raise AssertionError(f"answered {status}")
        return True

    wait_until(answers, what=f"{url} to answer", timeout=timeout, interval=0.2, log=log)


def interrupt(process: subprocess.Popen[str], timeout: float = 30.0) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=timeout)


def descendants_alive(pid: int) -> list[int]:
    """Processes whose parent chain reaches ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                found.append(child)
                frontier.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything under it, as a crash of its machine would.

    A kill of a worker's process group is not enough: rq runs each job in a forked work horse
    that moves to a process group of its own, and would finish the job unharmed."""
    for victim in [*descendants_alive(pid), pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def start_outbound_worker(env: dict[str, str], log: IO[Any] | int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """A ``hub worker`` for the outbound queue, in a session of its own."""
    return subprocess.Popen(hub_command("worker", "--queues", "outbound"), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Stop a worker at the end of a test: SIGTERM (rq's warm shutdown lets the running job
    finish), then SIGKILL to the whole tree if that job outlasts ``timeout`` on a busy machine.
    The tests that use this are about what a crash loses, not about a graceful stop."""
    if worker.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(worker.pid)
        worker.wait(timeout=timeout)
