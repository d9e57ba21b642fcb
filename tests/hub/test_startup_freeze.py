"""A serving process freezes what start-up made, so no request pays for walking it."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from hub.app.serving import freeze_startup_objects


@pytest.fixture
def unfreeze() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_what_exists_when_called_is_out_of_the_collectors_reach(unfreeze: None) -> None:
    before = [object() for _ in range(1000)]  # noqa: F841 - start-up's objects, kept alive
    freeze_startup_objects()
    assert gc.get_freeze_count() >= 1000
    tracked = len(gc.get_objects())
    assert tracked < 1000, "a full collection still walks the frozen objects"


def test_the_wsgi_entry_point_freezes_after_building_the_app(database_url: str, tmp_path: object) -> None:
    """gunicorn imports wsgi.py in each worker: after it, the app's objects are frozen."""
    code = ("import gc, wsgi; frozen = gc.get_freeze_count(); "
            "print(frozen, len(gc.get_objects()))")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={"HUB_DATABASE_URL": database_url,
                                 "HUB_INSTANCE_PATH": str(tmp_path), "HUB_SECRET_KEY": "x" * 32,
                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    frozen, tracked = (int(value) for value in result.stdout.split()[-2:])
    assert frozen > 50_000 and tracked < frozen / 10, (frozen, tracked, time.monotonic() - started)
