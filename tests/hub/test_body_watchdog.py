"""The body watchdog (hub.app.serving): one thread per process cutting off slow bodies.

The real server's cut-off is tested in test_web_server; these are the watchdog's own rules:
it is not woken for each request, and every body past its deadline is cut off, in one
wake-up when several are due together.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from hub.app import serving
from tests.support.waiting import scaled


class CountingCondition(threading.Condition):
    def __init__(self) -> None:
        super().__init__()
        self.notified = 0

    def notify(self, n: int = 1) -> None:
        self.notified += 1
        super().notify(n)


@pytest.fixture
def watchdog() -> serving._Watchdog:
    return serving._Watchdog(_wake=CountingCondition())


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    made: list[tuple[socket.socket, socket.socket]] = []
    yield made
    for ours, theirs in made:
        ours.close()
        theirs.close()


def pair(pairs: list[tuple[socket.socket, socket.socket]]) -> socket.socket:
    ours, theirs = socket.socketpair()
    pairs.append((ours, theirs))
    return ours


def wait_for(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + scaled(seconds)
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_requests_with_one_body_deadline_wake_the_watchdog_once(
        watchdog: serving._Watchdog, pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    watches = [watchdog.watch(pair(pairs), 60) for _ in range(200)]
    wake = watchdog._wake
    assert isinstance(wake, CountingCondition)
    assert wake.notified == 1  # the first, into an empty heap; later ones are never the earliest
    assert not any(watch.fired for watch in watches)


def test_an_earlier_deadline_wakes_it_and_is_cut_off_first(
        watchdog: serving._Watchdog, pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    late = watchdog.watch(pair(pairs), 60)
    early = watchdog.watch(pair(pairs), 0.05)
    wake = watchdog._wake
    assert isinstance(wake, CountingCondition) and wake.notified == 2
    assert wait_for(lambda: early.fired, 10)
    assert not late.fired


def test_bodies_due_together_are_all_cut_off_and_finished_ones_are_left_alone(
        watchdog: serving._Watchdog, pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    sockets = [pair(pairs) for _ in range(20)]
    watches = [watchdog.watch(sock, 0.2) for sock in sockets]
    for watch in watches[::2]:
        watch.done = True  # answered before its deadline
    assert wait_for(lambda: all(watch.fired for watch in watches[1::2]), 10)
    assert not any(watch.fired for watch in watches[::2])
    for sock, watch in zip(sockets, watches, strict=True):
        # A cut-off socket reads end-of-stream at once; the others would still wait for data.
        sock.settimeout(0)
        if watch.fired:
            assert sock.recv(1) == b""
        else:
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    assert not watchdog._heap
