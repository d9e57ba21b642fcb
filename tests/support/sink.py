"""An HTTP server that receives deliveries, as a partner system would.

It records every request, applies each Idempotency-Key once (so retries are visible as
duplicates, not double effects), and can be told to fail: the next n requests, or a
share of them, with a status and Retry-After, or by hanging past the client's timeout.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.waiting import WaitTimeout, wait_until


@dataclass
class Delivery:
    key: str
    body: Any
    headers: dict[str, str]
    at: float
    raw: bytes = b""
    """The body as sent, for checking a signature over it."""


@dataclass
class Sink:
    url: str = ""
    received: list[Delivery] = field(default_factory=list)
    applied: dict[str, Delivery] = field(default_factory=dict)
    fail_next: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    fail_ratio: float = 0.0
    hang_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        try:
            parsed = json.loads(body) if body else None
        except json.JSONDecodeError:
            parsed = body.decode("utf-8", "replace")
        key = request.headers.get("Idempotency-Key", "")
        with self._lock:
            failing = self.fail_next > 0 or (self.fail_ratio and self._random.random() < self.fail_ratio)
            if self.fail_next > 0:
                self.fail_next -= 1
        if failing and self.hang_seconds:
            time.sleep(self.hang_seconds)
        if failing:
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return Response("try later", status=self.fail_status, headers=headers)
        delivery = Delivery(key=key, body=parsed, headers=dict(request.headers), at=time.monotonic(), raw=body)
        with self._lock:
            self.received.append(delivery)
            duplicate = key in self.applied
            if key and not duplicate:
                self.applied[key] = delivery
        return Response(json.dumps({"ok": True, "duplicate": duplicate}), status=200,
                        content_type="application/json")

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        """True once ``count`` distinct deliveries arrived; False after the (load-scaled) deadline."""

        def arrived() -> bool:
            with self._lock:
                return len(self.applied) >= count

        try:
            wait_until(arrived, what=f"{count} deliveries", timeout=timeout, ignore=())
        except WaitTimeout:
            return False
        return True

    def bodies(self) -> list[Any]:
        with self._lock:
            return [delivery.body for delivery in self.applied.values()]


@contextmanager
def running_sink(port: int = 0) -> Iterator[Sink]:
    sink = Sink()

    def app(environ: Any, start_response: Any) -> Any:
        return sink.handle(Request(environ))(environ, start_response)

    server = make_server("127.0.0.1", port, app, threaded=True)
    sink.url = f"http://127.0.0.1:{server.server_port}/deliveries"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
