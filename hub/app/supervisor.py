"""A small process supervisor for `itsm-hub run`: start children, restart the crashed, stop all.

Children run in sessions of their own, so a Ctrl-C in the terminal reaches only the
supervisor, which then stops them in order (SIGTERM, then SIGKILL after a grace period).
A child that exits is reported and restarted with backoff; one that ran for a while
before crashing starts again at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    wanted: bool = True

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    report: Callable[[str], None] = print
    children: dict[str, Child] = field(default_factory=dict)
    grace_seconds: float = 10.0

    def add(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name=name, argv=argv, env=env)
        self.children[name] = child
        self._start(child)
        return child

    def remove(self, name: str) -> None:
        child = self.children.pop(name, None)
        if child is not None:
            child.wanted = False
            self._stop([child])

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, env=child.env, start_new_session=True)
        child.started_at = time.monotonic()

    def check(self) -> None:
        """Restart children that exited (with backoff); call this in a loop."""
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.running or not child.wanted:
                continue
            if child.process is not None and child.next_start == 0.0:
                code = child.process.returncode
                ran = now - child.started_at
                child.restarts = 0 if ran > STABLE_AFTER else child.restarts + 1
                delay = 0.0 if child.restarts == 0 else min(MAX_BACKOFF, 2 ** (child.restarts - 1))
                self.report(f"{child.name} exited with code {code} after {ran:.0f}s; restarting"
                            + (f" in {delay:.0f}s" if delay else ""))
                child.next_start = now + delay
            if now >= child.next_start:
                child.next_start = 0.0
                self._start(child)

    def run(self, stop: threading.Event, tick: Callable[[], None] | None = None, interval: float = 0.5) -> None:
        while not stop.is_set():
            self.check()
            if tick is not None:
                tick()
            stop.wait(interval)
        self.stop_all()

    def stop_all(self) -> None:
        for child in self.children.values():
            child.wanted = False
        self._stop(list(self.children.values()))

    def _stop(self, children: list[Child]) -> None:
        live = [child for child in children if child.running]
        for child in live:
            assert child.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for child in live:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.report(f"{child.name} did not stop in {self.grace_seconds:.0f}s; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
