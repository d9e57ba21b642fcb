"""Private PostgreSQL, Redis and Mosquitto servers that a fault test may stop and start.

The machine's shared servers serve every other test running in parallel, so a test that
restarts a server gets its own: a throwaway cluster or process on a free loopback port,
removed afterwards. The binaries are the same Debian packages the shared servers run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.support.services import missing
from tests.support.waiting import WaitTimeout, wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, *, up: bool, timeout: float = 30.0, log: Callable[[], str] | None = None) -> None:
    """Wait until something accepts connections on ``port`` (or, ``up=False``, nothing does)."""

    def reached() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return up
        except OSError:
            return not up

    wait_until(reached, what=f"127.0.0.1:{port} to {'accept' if up else 'refuse'} connections", timeout=timeout,
               log=log)


class PrivatePostgres:
    """A PostgreSQL cluster of its own, run as the ``postgres`` user when the tests run as root."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            missing("postgres", "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
        self.bin = Path(bins[-1]).parent
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.directory = Path(tempfile.mkdtemp(prefix="hub-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.decode(errors='replace')}")

    def init(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
            return self.start()
        except BaseException:
            self.close()
            raise

    def start(self) -> PrivatePostgres:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.directory / "log"), "-o",
                  f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        wait_port(self.port, up=True, log=self._log)
        return self

    def _log(self) -> str:
        try:
            return (self.directory / "log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop")
        wait_port(self.port, up=False)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, WaitTimeout):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateProcess:
    """A server process on its own port (redis-server, mosquitto) that can be killed and restarted."""

    def __init__(self, command: list[str], port: int) -> None:
        if shutil.which(command[0]) is None:
            missing(command[0], f"{command[0]} is not installed")
        self.command, self.port = command, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateProcess:
        process = self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL, start_new_session=True)

        def listening() -> bool:
            if process.poll() is not None:  # it died (port taken, bad config): waiting will not help
                raise RuntimeError(f"{self.command[0]} exited with {process.returncode} at start-up")
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True

        wait_until(listening, what=f"{self.command[0]} to listen on 127.0.0.1:{self.port}", ignore=(OSError,))
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_port(self.port, up=False)

    close = stop


def private_redis(directory: Path) -> PrivateProcess:
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    # Persistence on, as an operator runs it: jobs queued before a restart must survive it.
    return PrivateProcess(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                           "--appendonly", "yes", "--appendfsync", "always", "--save", ""], port)


def private_mosquitto(directory: Path) -> PrivateProcess:
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "mosquitto.conf"
    # Persistence keeps queued QoS 1 messages of persistent sessions across a broker restart.
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                      f"persistence_location {directory}/\nautosave_interval 1\n")
    if os.geteuid() == 0 and _user_exists("mosquitto"):
        shutil.chown(directory, "mosquitto")
    return PrivateProcess(["mosquitto", "-c", str(config)], port)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
