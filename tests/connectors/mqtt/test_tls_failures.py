"""Two TLS failures the test broker cannot stage, each against a small server of the test's
own on a free port: a broker certificate that has expired, and a port that answers a TLS
hello in plain text. Both go through the connector's real connection code."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.mqtt.client import Connection
from hub.sdk import AuthenticationError
from tests.support.certs import TestCa


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """``serve(handler)`` runs ``handler`` on the first connection to a new loopback port."""
    servers: list[tuple[socket.socket, threading.Thread]] = []

    def start(handler: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))

        def accept() -> None:
            connection, _ = listener.accept()
            # OSError: the client gave up on us, which is what these tests provoke.
            with connection, contextlib.suppress(OSError):
                handler(connection)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        servers.append((listener, thread))
        return int(listener.getsockname()[1])

    yield start
    for listener, thread in servers:
        listener.close()
        thread.join(10)


def check(port: int, **config: str) -> str:
    connection = Connection({"broker_url": f"mqtts://localhost:{port}", "topics": ["x/#"], **config}, "check",
                            timeout=10)
    try:
        with pytest.raises(AuthenticationError) as refused:
            connection.open()
    finally:
        connection.close()
    return refused.value.message


def test_an_expired_broker_certificate_says_to_renew_it(serve: Callable[..., int], tmp_path: Path) -> None:
    ca = TestCa(tmp_path)
    expired = ca.issue("broker", common_name="localhost", hostnames=["localhost"], expired=True)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(expired.cert), str(expired.key))
    port = serve(lambda connection: server.wrap_socket(connection, server_side=True).close())
    assert check(port, tls_ca_file=str(ca.cert)) == (
        "The broker's certificate is out of its validity (certificate has expired): renew it on the broker, and "
        "check the clocks of both machines.")


def test_a_port_answering_in_plain_text_is_named(serve: Callable[..., int]) -> None:
    def plain(connection: socket.socket) -> None:
        connection.recv(1024)
        connection.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    port = serve(plain)
    assert check(port) == (f"mqtts://localhost:{port} does not speak TLS on port {port} (WRONG_VERSION_NUMBER): "
                           "use the broker's TLS port (usually 8883), or mqtt:// if it has no TLS.")
