"""Serve a fake over real HTTP on 127.0.0.1, in a daemon thread, for one test.

A real socket rather than Flask's test client, because what the hub must survive lives in
the transport: timeouts, dropped connections, Retry-After, connection reuse by requests.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any, Generic, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.fakes.base import FakeService

log = logging.getLogger("tests.fakes")

FakeT = TypeVar("FakeT", bound=FakeService)


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its per-request access log on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug("%s %s", type, message % args if args else message)


class FakeServer(Generic[FakeT]):
    """``with FakeServer(JiraFake()) as server: requests.get(server.url + "/rest/...")``."""

    def __init__(self, fake: FakeT, host: str = "127.0.0.1") -> None:
        self.fake = fake
        self.host = host
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL without a trailing slash, e.g. ``http://127.0.0.1:49152``."""
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> FakeServer[FakeT]:
        if self._server is not None:
            return self
        self.fake.stopping.clear()
        # Port 0: the OS picks a free port, so parallel test workers never collide.
        self._server = make_server(self.host, 0, self.fake.create_app(), threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.fake.system}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        # Wake requests held by timeout faults first, so shutdown does not wait on them.
        self.fake.stopping.set()
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()
        self.fake.wait_idle(timeout=5)

    def __enter__(self) -> FakeServer[FakeT]:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
