"""What every fake remote system shares: a clock, fault injection, rate limits, a request log.

A fake is a ``FakeService`` subclass holding its records in memory behind one re-entrant
lock, plus a Flask app built by ``create_app()``. Tests drive the app over HTTP exactly as
the hub does, and reach into the fake through plain Python methods (the control API) to act
as a remote user, look at what arrived and break things on purpose. Nothing here is
reachable over HTTP, so a client cannot cheat by calling it.

The gate installed by ``install_gate`` runs before every request, in the order a real
deployment has its layers: the request is logged, then an injected fault may answer
instead (a load balancer or gateway failing), then authentication, then the per-user rate
limit. Each fake supplies the shapes only it knows: its error body and its rate-limit
headers.
"""

from __future__ import annotations

import contextlib
import math
import random
import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flask import Flask, Response, g, jsonify, request

FaultKind = Literal["status", "timeout", "drop"]


class FakeClock:
    """A UTC clock a test can move: it ticks with real time unless frozen.

    Ticking by default keeps Retry-After waits and "recently updated" windows honest in a
    test that does nothing special; ``freeze()``, ``set()`` and ``advance()`` make time
    deterministic where a test needs it.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._anchor = time.monotonic()
        self._frozen = frozen

    def now(self) -> datetime:
        with self._lock:
            if self._frozen:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._anchor)

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock.set needs an aware datetime")
        with self._lock:
            self._base = when.astimezone(UTC)
            self._anchor = time.monotonic()

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move time forward by ``seconds`` plus any timedelta keywords (minutes=5)."""
        step = timedelta(seconds=seconds, **delta)
        with self._lock:
            self._base += step
        return self.now()

    def freeze(self, at: datetime | None = None) -> datetime:
        current = self.now() if at is None else at.astimezone(UTC)
        with self._lock:
            self._base = current
            self._frozen = True
        return current

    def unfreeze(self) -> None:
        with self._lock:
            self._anchor = time.monotonic()
            self._frozen = False


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    ``status``: answer with that HTTP status before the request is processed.
    ``timeout``: process the request (a write takes effect) but hold the answer for
    ``delay`` seconds, so a client with a shorter timeout gives up on a change that
    happened: the duplicate-create hazard of real networks.
    ``drop``: close the connection without processing or answering.
    """

    kind: FaultKind = "status"
    status: int = 503
    retry_after: float | None = None
    delay: float = 1.0


@dataclass
class RecordedRequest:
    """A request as the fake received it, with the status it was answered with."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: datetime
    user: str | None = None
    status: int | None = None
    fault: str | None = None

    @property
    def json(self) -> Any:
        import json

        return json.loads(self.body) if self.body else None


@dataclass
class RateState:
    """The rate-limit budget as seen by one request."""

    limit: int
    remaining: int
    reset_at: datetime
    retry_after: int
    limited: bool


@dataclass
class _RateLimit:
    limit: int
    per_seconds: float
    window_start: datetime
    used: dict[str, int] = field(default_factory=dict)


class FaultPlan:
    """Failures queued or drawn at random; thread-safe, deterministic with a seed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[tuple[Fault, re.Pattern[str] | None, str | None]] = []
        self._ratio = 0.0
        self._ratio_faults: list[Fault] = []
        self._ratio_paths: re.Pattern[str] | None = None
        self._rng = random.Random(0)

    def fail_next(self, fault: Fault, n: int, paths: str | None, method: str | None = None) -> None:
        pattern = re.compile(paths) if paths else None
        with self._lock:
            self._queue.extend((fault, pattern, method.upper() if method else None) for _ in range(n))

    def fail_ratio(self, ratio: float, faults: list[Fault], paths: str | None, seed: int) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("ratio must be between 0 and 1")
        with self._lock:
            self._ratio = ratio
            self._ratio_faults = faults
            self._ratio_paths = re.compile(paths) if paths else None
            self._rng = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._ratio = 0.0
            self._ratio_faults = []

    def pick(self, path: str, method: str = "GET") -> Fault | None:
        with self._lock:
            for index, (fault, pattern, only) in enumerate(self._queue):
                if (pattern is None or pattern.search(path)) and only in (None, method):
                    del self._queue[index]
                    return fault
            wanted = self._ratio_paths is None or self._ratio_paths.search(path)
            if self._ratio and wanted and self._rng.random() < self._ratio:
                return self._rng.choice(self._ratio_faults)
        return None


class FakeService:
    """The control API every fake shares; subclasses add their records and HTTP surface."""

    #: Used in log lines and error messages only.
    system = "fake"

    def __init__(self, *, clock: FakeClock | None = None, timeout_delay: float = 1.0) -> None:
        self.lock = threading.RLock()
        self.clock = clock or FakeClock()
        #: How long a ``timeout`` fault holds the answer unless the fault says otherwise.
        self.timeout_delay = timeout_delay
        self.faults = FaultPlan()
        self._requests: list[RecordedRequest] = []
        self._rate: _RateLimit | None = None
        self._internal_errors: list[BaseException] = []
        # Set when the server stops, so a request held by a timeout fault ends at once.
        self.stopping = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition()

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: float | None = 2,
        *,
        kind: FaultKind = "status",
        delay: float | None = None,
        paths: str | None = None,
        method: str | None = None,
    ) -> None:
        """Make the next ``n`` requests (whose path matches the ``paths`` regex, and whose
        method is ``method`` if given) fail."""
        fault = Fault(kind, status, retry_after, self.timeout_delay if delay is None else delay)
        self.faults.fail_next(fault, n, paths, method)

    def fail_ratio(
        self,
        ratio: float,
        statuses: Iterable[int] = (429, 500, 503),
        *,
        timeout: bool = False,
        drop: bool = False,
        retry_after: float | None = 1,
        delay: float | None = None,
        paths: str | None = None,
        seed: int = 0,
    ) -> None:
        """Fail about ``ratio`` of requests, drawing evenly among the kinds asked for."""
        faults = [Fault("status", status, retry_after) for status in statuses]
        if timeout:
            faults.append(Fault("timeout", delay=self.timeout_delay if delay is None else delay))
        if drop:
            faults.append(Fault("drop"))
        if not faults:
            raise ValueError("fail_ratio needs at least one status, timeout or drop")
        self.faults.fail_ratio(ratio, faults, paths, seed)

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- rate limit ---------------------------------------------------------------------

    def rate_limit(self, limit: int, per_seconds: float = 60.0) -> None:
        """Allow each user ``limit`` requests per fixed window of ``per_seconds`` (fake time)."""
        with self.lock:
            self._rate = _RateLimit(limit, per_seconds, self.clock.now())

    def clear_rate_limit(self) -> None:
        with self.lock:
            self._rate = None

    def _spend(self, user: str) -> RateState | None:
        with self.lock:
            rate = self._rate
            if rate is None:
                return None
            now = self.clock.now()
            window = timedelta(seconds=rate.per_seconds)
            while now >= rate.window_start + window:
                rate.window_start += window
                rate.used.clear()
            used = rate.used.get(user, 0) + 1
            rate.used[user] = used
            reset_at = rate.window_start + window
            retry_after = max(1, math.ceil((reset_at - now).total_seconds()))
            return RateState(rate.limit, max(0, rate.limit - used), reset_at, retry_after, used > rate.limit)

    # -- request log --------------------------------------------------------------------

    def received(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Requests received so far, oldest first; ``path`` is a regex searched in the path."""
        pattern = re.compile(path) if path else None
        with self.lock:
            return [
                r
                for r in self._requests
                if (method is None or r.method == method.upper()) and (pattern is None or pattern.search(r.path))
            ]

    def clear_received(self) -> None:
        with self.lock:
            self._requests.clear()

    @property
    def internal_errors(self) -> list[BaseException]:
        """Exceptions raised inside the fake: a bug in the double, never the client's fault."""
        with self.lock:
            return list(self._internal_errors)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled; True when idle."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    # -- what a subclass supplies -------------------------------------------------------

    def create_app(self) -> Flask:  # pragma: no cover - every fake overrides it
        raise NotImplementedError

    def authenticate(self) -> str | None:
        """The user the current request authenticates as, or None."""
        raise NotImplementedError

    def error_response(self, status: int, message: str, detail: str | None = None) -> Response:
        raise NotImplementedError

    def unauthorized(self) -> Response:
        return self.error_response(401, "Unauthorized")

    def rate_headers(self, state: RateState) -> dict[str, str]:
        """Headers the system adds on every rate-limited route, and on its 429s."""
        return {}

    def fault_response(self, fault: Fault) -> Response:
        """The answer for a ``status`` fault; a 429 carries the rate-limit headers too."""
        response = self.error_response(fault.status, _REASONS.get(fault.status, "Injected failure"))
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(math.ceil(fault.retry_after))
        if fault.status == 429:
            now = self.clock.now()
            wait = math.ceil(fault.retry_after or 1)
            state = RateState(0, 0, now + timedelta(seconds=wait), wait, True)
            response.headers.update(self.rate_headers(state))
        return response


_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def install_gate(app: Flask, fake: FakeService) -> None:
    """Wire logging, faults, authentication and rate limiting into ``app`` for ``fake``."""

    @app.before_request
    def _gate() -> Response | None:
        with fake._idle:
            fake._in_flight += 1
        g.fake_counted = True
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query={key: request.args.getlist(key) for key in request.args},
            headers=dict(request.headers),
            body=request.get_data(cache=True),
            at=fake.clock.now(),
        )
        with fake.lock:
            fake._requests.append(record)
        g.fake_record = record
        fault = fake.faults.pick(request.path, request.method)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "drop":
                _drop_connection()
                return Response(b"", status=599)
            if fault.kind == "timeout":
                g.fake_delay = fault.delay
            else:
                return fake.fault_response(fault)
        user = fake.authenticate()
        if user is None:
            return fake.unauthorized()
        record.user = user
        g.fake_user = user
        state = fake._spend(user)
        g.fake_rate = state
        if state is not None and state.limited:
            response = fake.error_response(429, "Too Many Requests")
            response.headers["Retry-After"] = str(state.retry_after)
            response.headers.update(fake.rate_headers(state))
            return response
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        record = g.get("fake_record")
        if record is not None:
            record.status = response.status_code
        state = g.get("fake_rate")
        if state is not None and not state.limited:
            response.headers.update(fake.rate_headers(state))
        delay = g.get("fake_delay")
        if delay:
            # The change is made; only the answer is late, and it ends early on shutdown.
            fake.stopping.wait(delay)
        return response

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        if g.pop("fake_counted", False):
            with fake._idle:
                fake._in_flight -= 1
                fake._idle.notify_all()

    @app.errorhandler(Exception)
    def _internal(exc: Exception) -> Response:
        from werkzeug.exceptions import HTTPException

        if isinstance(exc, HTTPException):
            return fake.error_response(exc.code or 500, exc.name, exc.description)
        with fake.lock:
            fake._internal_errors.append(exc)
        return fake.error_response(500, "Internal error in the test double", repr(exc))


def _drop_connection() -> None:
    """Close the client's socket so it sees a reset connection and no answer at all."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def json_body() -> tuple[Any, str | None]:
    """The request's JSON body and None, or None and why it could not be read."""
    raw = request.get_data(cache=True)
    if not raw:
        return None, "empty body"
    try:
        import json

        return json.loads(raw), None
    except ValueError as exc:
        return None, str(exc)


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify(payload)
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def new_flask_app(name: str) -> Flask:
    """A Flask app that keeps key order in JSON, as the real systems' answers read."""
    app = Flask(name)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    return app
