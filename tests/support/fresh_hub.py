"""A hub started as the README says, for the journeys: ``itsm-hub run`` in an empty folder.

SQLite, an embedded Redis and every built-in plugin through its entry point, as a fresh
install enables them; the admin password is the one ``itsm-hub run`` prints once. Bring the
fixture into a test module with ``from tests.support.fresh_hub import *  # noqa: F403``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import free_port, hub_command, hub_env, interrupt, wait_http
from tests.support.waiting import scaled

__all__ = ["fresh_hub"]


def wait_ms() -> float:
    """How long a step may take: a whole hub (web, worker, scheduler) shares the machine with the
    browser, so the base of 20 s is stretched by the machine's load (tests.support.waiting)."""
    return scaled(20) * 1000


@dataclass
class FreshHub:
    url: str
    admin_password: str
    env: dict[str, str]

    def admin_token(self) -> str:
        """What an operator does on the server: ``itsm-hub tokens create --role admin``."""
        made = subprocess.run(hub_command("tokens", "create", "--role", "admin"), env=self.env, capture_output=True,
                              text=True, timeout=60, check=True)
        return made.stdout.strip().splitlines()[-1]


@pytest.fixture
def fresh_hub(tmp_path: Path) -> Iterator[FreshHub]:
    """``itsm-hub run`` (README), on a port of its own, in an empty instance folder; stopped with
    Ctrl-C after the test, which must leave no traceback in its log."""
    port = free_port()
    env = hub_env(tmp_path / "instance")
    log_path = tmp_path / "run.log"
    log = log_path.open("w")
    process = subprocess.Popen(hub_command("run", "--port", str(port)), env=env, stdout=subprocess.PIPE, stderr=log,
                               text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", log=lambda: log_path.read_text()[-3000:])
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(2)]
        found = re.search(r"Sign in as admin with password (\S+) ", banner[1])
        assert banner[0].strip() == f"itsm-hub is running at {url}" and found, banner
        yield FreshHub(url=url, admin_password=found.group(1), env=env)
    finally:
        code = interrupt(process)
        log.close()
        if process.stdout is not None:
            process.stdout.close()
    output = log_path.read_text()
    assert code == 0 and "Traceback" not in output, output[-3000:]
