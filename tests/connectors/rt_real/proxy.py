"""A pass-through HTTP proxy in front of the real RT, to choose the moment of a fault.

Everything is forwarded to RT unchanged and RT's answer returned unchanged, except that
a test may act after RT has answered a request and before its answer goes back: a
worker killed right there has had its write taken by RT and will never know it, the
moment at which a delivery can be repeated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding",
                        "host", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"})
Answered = Callable[[str, str, int], None]
"""Called with (method, path, status) after RT answered, before the answer goes back."""


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        # A killed client leaves a broken pipe behind: expected here.
        logging.getLogger("tests.rt_proxy").debug(message, *args)


class RTProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.on_answer: Answered | None = None
        self._session = requests.Session()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        headers = {key: value for key, value in request.headers.items() if key.lower() not in HOP_BY_HOP}
        answer = self._session.request(request.method, self.target + request.full_path.rstrip("?"),
                                       headers=headers, data=request.get_data(), allow_redirects=False, timeout=300)
        if self.on_answer is not None:
            self.on_answer(request.method, request.path, answer.status_code)
        kept = [(key, value) for key, value in answer.headers.items() if key.lower() not in HOP_BY_HOP]
        return Response(answer.content, status=answer.status_code, headers=kept)(environ, start_response)

    @contextmanager
    def running(self) -> Iterator[RTProxy]:
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            thread.join(timeout=10)
            self._server.server_close()
            self._session.close()
