"""What sits between the WSGI server and the app: the client's real address, slow bodies.

- ``TrustedProxies``: behind a reverse proxy every request comes from the proxy's address.
  With ``HUB_TRUSTED_PROXIES`` the hub takes the client's address (and scheme) from the
  ``X-Forwarded-For``/``-Proto`` headers those proxies add, through Werkzeug's ProxyFix,
  and from nobody else: a client cannot pick its own address by sending the header.
- ``BodyDeadline``: gunicorn reads a request body in the worker thread that serves it and
  has no deadline for that, so ten clients sending a byte every few seconds hold every
  thread. Under gunicorn the hub stops reading a body that has not arrived within
  ``HUB_REQUEST_BODY_SECONDS`` and answers 408. A buffering proxy in front (nginx,
  docs/operations.md) is still required; this only keeps a direct hit from stalling it.
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import RequestTimeout
from werkzeug.middleware.proxy_fix import ProxyFix

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_PROXIES = 10


def parse_trusted_proxies(text: str) -> tuple[int, tuple[Network, ...]]:
    """``"2"`` (that many proxies in front) or ``"10.0.0.5, 10.0.1.0/24"`` (their addresses)."""
    text = text.strip()
    if not text or text == "0":
        return 0, ()
    if text.isdigit():
        count = int(text)
        if count > MAX_PROXIES:
            raise ValueError(f"at most {MAX_PROXIES} proxies, got {count}")
        return count, ()
    try:
        return 0, tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"expected a number of proxies (such as 1) or their addresses (such as "
                         f"10.0.0.5,10.0.1.0/24), got {text!r}") from None


class TrustedProxies:
    """Apply ProxyFix for as many hops as the configured proxies account for, else none."""

    def __init__(self, app: WsgiApp, setting: str) -> None:
        self.app = app
        self.count, self.networks = parse_trusted_proxies(setting)
        self._fixers: dict[int, ProxyFix] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        hops = self._hops(environ)
        if not hops:
            return self.app(environ, start_response)
        if hops not in self._fixers:
            self._fixers[hops] = ProxyFix(self.app, x_for=hops, x_proto=1)
        return self._fixers[hops](environ, start_response)

    def _hops(self, environ: dict[str, Any]) -> int:
        if not self.networks:
            return self.count
        if not self._trusted(environ.get("REMOTE_ADDR")):
            return 0  # a client talking to us directly: its headers mean nothing
        forwarded = [part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        hops = 1
        # Walk back through proxies we know (each appended its peer) to the first we do not.
        for address in reversed(forwarded):
            if hops >= min(len(forwarded), MAX_PROXIES) or not self._trusted(address):
                break
            hops += 1
        return hops

    def _trusted(self, address: str | None) -> bool:
        try:
            parsed = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(parsed in network for network in self.networks)


WATCHDOG_TICK = 0.1
"""Seconds: how late past its deadline a body may be cut off (the watchdog's wake-up grain)."""


@dataclass(eq=False)
class _Watch:
    sock: socket.socket
    deadline: float
    fired: bool = False
    done: bool = False

    def expire(self) -> None:
        self.fired = True
        # The blocked recv returns at once with nothing; the response can still be sent.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RD)


@dataclass
class _Watchdog:
    """One thread per process that cuts off the bodies still arriving at their deadline."""

    _wake: threading.Condition = field(default_factory=threading.Condition)
    _heap: list[tuple[float, int, _Watch]] = field(default_factory=list)
    _order: Iterator[int] = field(default_factory=itertools.count)
    _pid: int = 0

    def watch(self, sock: socket.socket, seconds: float) -> _Watch:
        watch = _Watch(sock, time.monotonic() + seconds)
        with self._wake:
            if self._pid != os.getpid():  # first use in this (possibly forked) process
                self._pid, self._heap = os.getpid(), []
                threading.Thread(target=self._run, name="hub-body-deadline", daemon=True).start()
            # The thread sleeps until the earliest deadline; with one length for every body a
            # new watch is never the earliest, so it is woken only when the heap was empty
            # (waking it on every request cost each request a thread switch).
            earliest = not self._heap or watch.deadline < self._heap[0][0]
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if earliest:
                self._wake.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    # At most one wake per WATCHDOG_TICK however many requests pass: a body
                    # is cut off up to that much after its deadline.
                    self._wake.wait(max(wait, WATCHDOG_TICK))
                    continue
                now, due = time.monotonic(), []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for watch in due:
                if not watch.done:
                    watch.expire()


_WATCHDOG = _Watchdog()


class _WatchedInput:
    """wsgi.input that answers 408 once its watch has cut the body off."""

    def __init__(self, stream: Any, watch: _Watch, seconds: float) -> None:
        self._stream, self._watch, self._seconds = stream, watch, seconds

    def _checked(self, read: Callable[..., Any], *args: Any) -> Any:
        try:
            data = read(*args)
        except Exception:
            if self._watch.fired:
                raise self._late() from None
            raise
        if self._watch.fired:
            raise self._late()
        return data

    def _late(self) -> RequestTimeout:
        return RequestTimeout(f"The request body did not arrive within {self._seconds:g} seconds.")

    def read(self, *args: Any) -> bytes:
        return self._checked(self._stream.read, *args)

    def readline(self, *args: Any) -> bytes:
        return self._checked(self._stream.readline, *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._checked(self._stream.readlines, *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class BodyDeadline:
    """Under gunicorn, give each request body ``seconds`` to arrive (0 switches it off)."""

    def __init__(self, app: WsgiApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if sock is None or self.seconds <= 0 or not _has_body(environ):
            return self.app(environ, start_response)
        watch = _WATCHDOG.watch(sock, self.seconds)
        environ["wsgi.input"] = _WatchedInput(environ["wsgi.input"], watch, self.seconds)
        try:
            return self.app(environ, start_response)
        finally:
            watch.done = True


def _has_body(environ: dict[str, Any]) -> bool:
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    try:
        return int(environ.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return False


def freeze_startup_objects() -> None:
    """Put what start-up made (modules, the app, plugins, schemas: about 115,000 objects) out
    of the garbage collector's reach. A full collection walks every tracked object: 60 ms on
    this machine kind, paid by whichever request or job set it off (the SQLite search p99 of
    bench/REPORT.md was those pauses, issue 23). Called once a serving process (web or
    worker) has its app."""
    import gc

    gc.collect()
    gc.freeze()
