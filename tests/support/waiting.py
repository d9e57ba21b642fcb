"""Waiting for something to become true, with a deadline that follows the machine's load.

Fixtures and tests wait on readiness (a port answers, a server says it is up, a job has
run), never for a fixed time. Every wait still needs a deadline, so that a server that will
never come up fails the test instead of hanging it; but a fixed deadline that is generous on
an idle laptop is too short on a 2-core CI machine running two suites (load 10): the OPC UA
server's address space took longer than its fixed 30 s there and 13 tests errored.

So a deadline here is a *base* time (what the wait needs on an idle machine, with margin)
multiplied by the load factor: the 1-minute load average per CPU, at least 1, at most
:data:`MAX_SCALE`. The factor is read again on every poll, so a wait that starts on a quiet
machine and is then crowded out gets the longer deadline. ``HUB_TEST_TIMEOUT_SCALE`` sets the
factor by hand (e.g. ``3`` under a debugger or valgrind, ``1`` to see what an idle machine
would give).

When a wait fails, the message says what was waited for, for how long, the last error the
probe raised and, when the caller gives one, the tail of the server's log.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")

#: The most a deadline is stretched. Load 10 on 2 cores is 5; 8 leaves room above that and
#: still bounds a wait for something that will never happen.
MAX_SCALE = 8.0

#: How much of a log a failure message shows (the end, where the error usually is).
LOG_TAIL = 2000


class WaitTimeout(AssertionError):
    """What was waited for did not happen in time (an AssertionError: the test reads as failed)."""


def load_scale() -> float:
    """The factor deadlines are multiplied by now: ``HUB_TEST_TIMEOUT_SCALE``, or load per CPU."""
    setting = os.environ.get("HUB_TEST_TIMEOUT_SCALE", "").strip()
    if setting:
        try:
            value = float(setting)
        except ValueError:
            raise ValueError(f"HUB_TEST_TIMEOUT_SCALE must be a number, not {setting!r}") from None
        if not value > 0:
            raise ValueError(f"HUB_TEST_TIMEOUT_SCALE must be above 0, not {setting!r}")
        return value
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform: assume an idle machine
        return 1.0
    return max(1.0, min(MAX_SCALE, load / (os.cpu_count() or 1)))


def scaled(seconds: float) -> float:
    """``seconds`` stretched by the current load factor: for a blocking call with its own timeout."""
    return seconds * load_scale()


def pace() -> int:
    """A whole-number factor for timings a test *sets* on the code under test: a client's timeout,
    a double's late answer, a search index's lag.

    Those timings work in pairs ("the answer comes 2 s late, the client gives up after 1 s"),
    and a fixed 1 s client timeout fails on a crowded machine when an answer that should come
    at once takes longer than that: every try times out and the sync never settles. Multiplying
    both sides of each pair by this factor keeps the pair's order and gives the answers that
    should arrive the room they need. Whole seconds, because connector settings take integers.
    """
    return max(1, math.ceil(load_scale()))


def _tail(text: str) -> str:
    text = text.rstrip()
    return text if len(text) <= LOG_TAIL else "..." + text[-LOG_TAIL:]


def wait_until(predicate: Callable[[], _T], *, what: str, timeout: float = 30.0, interval: float = 0.05,
               ignore: tuple[type[BaseException], ...] = (Exception,),
               log: Callable[[], str] | None = None) -> _T:
    """Poll ``predicate`` until it returns a true value, and return that value.

    ``timeout`` is the base deadline in seconds on an idle machine; the real one is
    ``timeout * load_scale()``, re-read on every poll and never shrinking. Exceptions of the
    ``ignore`` types count as "not yet" and the last one is shown if the wait fails; others
    propagate at once (a probe that knows the server died should raise, not wait). ``log``
    gives the text whose tail a failure shows (a server's log file, its output so far).
    """
    started = time.monotonic()
    scale = load_scale()
    last_error: BaseException | None = None
    polls = 0
    while True:
        polls += 1
        try:
            value = predicate()
        except ignore as exc:
            last_error = exc
        else:
            if value:
                return value
        elapsed = time.monotonic() - started
        scale = max(scale, load_scale())
        if elapsed >= timeout * scale:
            break
        time.sleep(min(interval, max(0.0, timeout * scale - elapsed)))
    parts = [f"gave up waiting for {what} after {elapsed:.1f} s ({polls} checks; base deadline {timeout:g} s "
             f"x load factor {scale:.2f}; HUB_TEST_TIMEOUT_SCALE overrides the factor)"]
    if last_error is not None:
        parts.append(f"last error: {type(last_error).__name__}: {last_error}")
    if log is not None:
        try:
            text = log()
        except Exception as exc:  # the log is a help for the reader: never hide the timeout behind it
            text = f"(could not read the log: {exc})"
        if text.strip():
            parts.append("log (end):\n" + _tail(text))
    raise WaitTimeout("\n".join(parts))
