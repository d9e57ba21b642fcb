"""The supervisor behind `itsm-hub run`: restarts what crashes, stops everything on request."""

from __future__ import annotations

import os
import sys
import threading
import time

from hub.app.supervisor import Supervisor
from tests.support.waiting import scaled


def test_a_crashed_child_is_reported_and_restarted() -> None:
    lines: list[str] = []
    supervisor = Supervisor(report=lines.append, grace_seconds=2)
    crasher = supervisor.add("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"], dict(os.environ))
    sleeper = supervisor.add("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    first_pid = crasher.process.pid  # type: ignore[union-attr]
    deadline = time.monotonic() + scaled(10)
    while crasher.process.pid == first_pid and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
        supervisor.check()
    assert crasher.process.pid != first_pid  # type: ignore[union-attr]
    assert any(line.startswith("crasher exited with code 3") for line in lines)
    assert sleeper.running
    supervisor.stop_all()
    assert not sleeper.running and not crasher.running


def test_stop_kills_what_ignores_sigterm() -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); " \
               "time.sleep(60)"
    lines: list[str] = []
    supervisor = Supervisor(report=lines.append, grace_seconds=0.5)
    import subprocess

    child = supervisor.add("stubborn", [sys.executable, "-c", stubborn], dict(os.environ))
    time.sleep(0.5)  # let it install its handler
    stop = threading.Event()
    runner = threading.Thread(target=supervisor.run, args=(stop,), kwargs={"interval": 0.05})
    runner.start()
    stop.set()
    runner.join(timeout=10)
    assert not child.running
    assert any("did not stop" in line for line in lines)
    assert isinstance(child.process, subprocess.Popen)
