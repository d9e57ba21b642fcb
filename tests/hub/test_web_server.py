"""The shipped gunicorn config, run for real: its HUB_* variables (D16) and slow bodies (D15)."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port, hub_env
from tests.support.waiting import scaled

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Gunicorn:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    access_log: Path
    output: Path


def _wait_ready(server: Gunicorn, timeout: float = 120.0) -> None:
    """Until /healthz answers, or the server has exited (then with its output)."""
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.output.read_text(errors="replace")
            raise AssertionError(f"gunicorn exited with {server.process.returncode}:\n{output[-3000:]}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer within {timeout}s")


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    """gunicorn -c config/gunicorn.conf.py wsgi:app with every variable that config reads set."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = hub_env(
        tmp_path / "instance",
        HUB_BIND=f"127.0.0.1:{port}", HUB_WEB_WORKERS="1", HUB_WEB_THREADS="2", HUB_ACCESS_LOG=str(access_log),
        HUB_REQUEST_BODY_SECONDS="2", HUB_AUTO_MIGRATE="true", HUB_LOAD_PLUGINS="webhook",
        HUB_REDIS_URL=os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        HUB_QUEUE_PREFIX=f"t{uuid.uuid4().hex[:10]}",
    )
    output = tmp_path / "gunicorn.out"
    with output.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = Gunicorn(f"http://127.0.0.1:{port}", port, process, access_log, output)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_config_s_own_variables_are_settings_and_the_server_starts(gunicorn: Gunicorn) -> None:
    assert requests.get(f"{gunicorn.url}/healthz", timeout=10).json()["status"] == "ok"
    deadline = time.monotonic() + scaled(30)
    while "GET /healthz" not in (gunicorn.access_log.read_text() if gunicorn.access_log.exists() else ""):
        assert time.monotonic() < deadline, "HUB_ACCESS_LOG was not written"
        time.sleep(0.1)


class SlowClient(threading.Thread):
    """Posts the sign-in form one byte at a time and notes the status line it gets back
    (the form's CSRF check reads the body before anything else looks at the request)."""

    def __init__(self, port: int, length: int = 400, gap: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.port, self.length, self.gap = port, length, gap
        self.status: str | None = None
        self.sent = 0
        self.started_body = threading.Event()

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(f"POST /login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {self.length}\r\n\r\n".encode())
            self.started_body.set()
            while self.sent < self.length and self.status is None:
                try:
                    sock.sendall(b"a")
                    self.sent += 1
                except OSError:
                    break  # the server stopped reading: its answer is waiting below
                if select.select([sock], [], [], self.gap)[0]:
                    break
            sock.settimeout(30)
            try:
                answer = sock.recv(200).decode("latin-1")
            except OSError as exc:
                answer = f"no answer: {exc}"
            self.status = answer.split("\r\n", 1)[0]


def test_clients_that_send_their_body_slowly_are_cut_off_and_the_server_keeps_answering(
        gunicorn: Gunicorn) -> None:
    slow = [SlowClient(gunicorn.port) for _ in range(3)]  # more than the server's two threads
    for client in slow:
        client.start()
        client.started_body.wait(30)
    assert requests.get(f"{gunicorn.url}/healthz", timeout=60).status_code == 200
    for client in slow:
        client.join(90)
    assert [(client.status or "").split(" ")[1:2] for client in slow] == [["408"]] * 3, [c.status for c in slow]
    assert all(client.sent < client.length for client in slow)  # stopped long before the body was whole
    fast = requests.post(f"{gunicorn.url}/login", data={"username": "x", "password": "y"}, timeout=30)
    assert fast.status_code == 400 and "The form expired" in fast.text  # an ordinary body is read as before
