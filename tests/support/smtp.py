"""An SMTP sink for tests: a real SMTP server (aiosmtpd) that keeps what it is sent.

It speaks real SMTP on 127.0.0.1, so the code under test goes through smtplib (or
whatever it uses) exactly as in production, including STARTTLS and AUTH when the sink
is made with them. Messages are kept in memory, in arrival order; ``wait_for`` blocks
until enough have come in, since the sender may well run in another thread.

Stopping closes every client connection before the event loop ends; otherwise a client
still connected at teardown leaves an unclosed transport behind, which Python reports
as a ResourceWarning and the suite (warnings are errors) as a failure.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import tempfile
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.imap import TlsFiles, make_tls_files
from tests.support.waiting import scaled

SERVICE = "SMTP sink (aiosmtpd)"
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message with its envelope."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    #: The AUTH login name, or None when the client did not authenticate.
    login: str | None
    #: Whether the message came over TLS (after STARTTLS).
    tls: bool


class _Handler:
    """aiosmtpd handler: hands accepted messages to the sink; may answer with a canned error."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failure = self.sink._next_failure()
        if failure is not None:
            return failure
        # original_content is the bytes as sent; content may have been decoded for SMTPUTF8.
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        auth = session.auth_data
        login = auth.login.decode(errors="replace") if isinstance(auth, LoginPassword) else None
        self.sink._received(ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message=parsed,
            login=login,
            # The transport, not session.ssl: aiosmtpd sets that one only after STARTTLS.
            tls=server.transport is not None and server.transport.get_extra_info("ssl_object") is not None,
        ))
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's Controller, on a port the kernel picks and closing its clients on stop."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)
        self.servers: list[SMTP] = []

    def factory(self) -> SMTP:
        # aiosmtpd warns (a UserWarning, so an error here) when AUTH is required over
        # plain text; a sink configured that way on purpose should not fail the test.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            server = cast(SMTP, super().factory())
        self.servers.append(server)
        return server

    def _trigger_server(self) -> None:
        # Port 0 binds a free port without the pick-then-bind race; aiosmtpd connects to
        # self.port right after binding, so read the real one back first.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    async def close_clients(self) -> None:
        for server in self.servers:
            if server.transport is not None and not server.transport.is_closing():
                server.transport.close()
        # Let connection_lost run and the session tasks finish their cancellation.
        for _ in range(3):
            await asyncio.sleep(0)
        self.servers.clear()


class SmtpSink:
    """An SMTP server on 127.0.0.1 that collects what it is sent; start()/stop() or ``with``.

    ``starttls``: offer STARTTLS with a certificate from a throwaway CA (``cafile``);
    ``require_starttls``: refuse mail before STARTTLS; ``implicit_tls``: TLS from the
    first byte instead (SMTPS, as on port 465). ``users``: accept AUTH
    PLAIN/LOGIN with these login -> password pairs; ``auth_required`` then refuses
    mail from unauthenticated clients. aiosmtpd only offers AUTH over TLS unless
    ``auth_require_tls`` is False.
    """

    host = "127.0.0.1"

    def __init__(self, *, starttls: bool = False, require_starttls: bool = False, implicit_tls: bool = False,
                 users: Mapping[str, str] | None = None, auth_required: bool = False,
                 auth_require_tls: bool = True) -> None:
        if require_starttls and not starttls:
            raise ValueError("require_starttls needs starttls=True")
        if starttls and implicit_tls:
            raise ValueError("choose starttls or implicit_tls")
        if auth_required and not users:
            raise ValueError("auth_required needs users")
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.users = dict(users or {})
        # aiosmtpd's AUTH-needs-TLS check only knows STARTTLS and would refuse AUTH on an
        # implicit-TLS connection, which is encrypted all along.
        self._options = {"require_starttls": require_starttls, "auth_required": auth_required,
                         "auth_require_tls": auth_require_tls and not implicit_tls}
        self._messages: list[ReceivedMessage] = []
        self._failures: list[str] = []
        self._changed = threading.Condition()
        self._controller: _Controller | None = None
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        self.tls: TlsFiles | None = None
        self.port = 0

    # -- lifecycle

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("the SMTP sink is already running")
        kwargs: dict[str, Any] = {"server_hostname": "sink.test", "ready_timeout": 10.0, **self._options}
        if self.starttls or self.implicit_tls:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="hub-smtp-tls-")
            self.tls = make_tls_files(Path(self._tls_dir.name))
            # aiosmtpd: tls_context is for STARTTLS, ssl_context wraps the listener itself.
            kwargs["ssl_context" if self.implicit_tls else "tls_context"] = self.tls.server_context()
        if self.users:
            kwargs["authenticator"] = self._authenticate
        controller = _Controller(_Handler(self), **kwargs)
        try:
            controller.start()
        except BaseException:
            # A failed start leaves the loop unclosed (ResourceWarning later) unless we do it.
            if controller.loop.is_running():
                controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            self._cleanup_tls()
            raise
        self._controller = controller
        self.port = controller.port

    def stop(self) -> None:
        """Close client connections, stop the server thread and its loop; safe to call twice."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(controller.close_clients(), controller.loop).result(_STOP_TIMEOUT)
        finally:
            controller.stop()
            self._cleanup_tls()

    def _cleanup_tls(self) -> None:
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    @property
    def cafile(self) -> Path | None:
        return self.tls.cafile if self.tls is not None else None

    # -- what arrived

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of the messages so far, in arrival order."""
        with self._changed:
            return list(self._messages)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages have arrived; return them all.

        Raises AssertionError (so the test reads as a failed expectation) on timeout.
        """
        deadline = time.monotonic() + scaled(timeout)
        with self._changed:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} message(s) within {scaled(timeout):.1f}s, "
                                         f"got {len(self._messages)}")
                self._changed.wait(remaining)
            return list(self._messages)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()

    def fail_next(self, reply: str = "451 4.3.0 Try again later", times: int = 1) -> None:
        """Answer the next ``times`` DATA commands with ``reply`` (e.g. a 4xx or 5xx) instead of accepting."""
        with self._changed:
            self._failures.extend([reply] * times)

    # -- called on the server thread

    def _received(self, message: ReceivedMessage) -> None:
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()

    def _next_failure(self) -> str | None:
        with self._changed:
            return self._failures.pop(0) if self._failures else None

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            if login in self.users and self.users[login] == auth_data.password.decode(errors="replace"):
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)
