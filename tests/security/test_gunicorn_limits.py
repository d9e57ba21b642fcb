"""I3 of ../shared/findings/security.md: behind the shipped gunicorn config, an over-long
query reaches the app and is refused as problem+json, not as gunicorn's HTML page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hub.api import MAX_QUERY_BYTES
from hub.core.redis import stop_embedded_redis
from tests.support.processes import free_port, hub_env, wait_http

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(database_url: str, tmp_path: Path, api: Any) -> Iterator[str]:
    """The app under gunicorn with config/gunicorn.conf.py, on the test's database."""
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("gunicorn is not installed in this environment")
    port = free_port()
    env = hub_env(tmp_path / "instance", HUB_DATABASE_URL=database_url, HUB_SECRET_KEY="test-secret-key")
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py"),
             "-b", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "wsgi:app"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(f"{base}/healthz", timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; gunicorn said:\n{log.read_text()[-3000:]}") from None
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        # With no HUB_REDIS_URL the app started the embedded Redis (a daemon shared by the
        # hub's processes, which `itsm-hub run` stops): stop it, or every run leaves one behind.
        stop_embedded_redis(tmp_path / "instance")


def test_i3_an_over_long_query_is_the_apps_problem_not_gunicorns_page(served: str, api: Any) -> None:
    headers = {"Authorization": f"Bearer {api.token}"}
    query = "a" * (MAX_QUERY_BYTES + 2000)  # a request line of about 6 KB: over gunicorn's default 4094
    response = requests.get(f"{served}/api/v1/changes", params={"q": query}, headers=headers, timeout=30)
    assert response.status_code == 414, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json"
    assert str(MAX_QUERY_BYTES) in response.json()["detail"]
    assert requests.get(f"{served}/api/v1/changes", params={"q": "pump"}, headers=headers,
                        timeout=30).status_code == 200
