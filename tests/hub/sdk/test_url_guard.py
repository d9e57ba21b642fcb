"""The outbound URL guard (D1): every spelling of a refused address, redirects, DNS rebinding.

Real HTTP servers on loopback stand in for a remote and for "the metadata service";
127.0.0.2 is added to the refused ranges for the test, so nothing leaves the machine.
"""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.sdk import url_guard
from hub.sdk.errors import FatalError
from hub.sdk.http import MAX_REDIRECTS, HttpClient, check_url


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers what the server's ``answer`` says and records every request it saw."""

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server: Any = self.server
        server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        status, headers = server.answer(self.path)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_HEAD = _serve


class Server:
    def __init__(self, host: str, answer: Callable[[str], tuple[int, dict[str, str]]], tls: Any = None,
                 port: int = 0) -> None:
        self.httpd = http.server.ThreadingHTTPServer((host, port), Recorder)
        if tls is not None:
            self.httpd.socket = tls.server_context().wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.seen = []  # type: ignore[attr-defined]
        self.httpd.answer = answer  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def seen(self) -> list[dict[str, Any]]:
        return self.httpd.seen  # type: ignore[attr-defined,no-any-return]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    made: list[Server] = []

    def start(host: str = "127.0.0.1", answer: Callable[[str], tuple[int, dict[str, str]]] | None = None,
              tls: Any = None, port: int = 0) -> Server:
        server = Server(host, answer or (lambda path: (200, {})), tls, port)
        made.append(server)
        return server

    yield start
    for server in made:
        server.close()


@pytest.fixture
def metadata_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat 127.0.0.2 as if it were the metadata service."""
    monkeypatch.setattr(url_guard, "BLOCKED_V4",
                        (*url_guard.BLOCKED_V4, (ipaddress.IPv4Network("127.0.0.2/32"), "the test's metadata address")))


@pytest.mark.parametrize("url", [
    "http://[::ffff:169.254.169.254]/",        # IPv4-mapped, dotted
    "http://[::ffff:a9fe:a9fe]/",              # IPv4-mapped, hex
    "http://[::ffff:100.100.100.200]/",        # Alibaba metadata, mapped
    "http://[::169.254.169.254]/",             # IPv4-compatible
    "http://[::ffff:0:169.254.169.254]/",      # SIIT
    "http://[64:ff9b::169.254.169.254]/",      # NAT64
    "http://[64:ff9b:1::a9fe:a9fe]/",          # local-use NAT64
    "http://[2002:a9fe:a9fe::1]/",             # 6to4
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "http://[fe80::1%25eth0]/",                # scoped
    "http://[fd00:ec2::254]/",                 # AWS metadata over IPv6
    "http://0.0.0.0:8080/", "http://0/", "http://[::]/",  # unspecified
    "http://2852039166/",                      # 169.254.169.254 as one number
    "http://0xa9.0xfe.0xa9.0xfe/",             # ... and in hex parts
    "http://168.63.129.16/", "http://224.0.0.1/", "http://255.255.255.255/",
])
def test_every_spelling_of_a_refused_address_is_refused(url: str) -> None:
    with pytest.raises(FatalError, match="HUB_ALLOW_PRIVATE_URLS"):
        check_url(url)
    with pytest.raises(FatalError):
        HttpClient(retries=0).get(url)


@pytest.mark.parametrize("url", [
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[::1]:8080/", "http://192.168.1.10/",
    "http://[fd12:3456::1]/", "http://localhost/", "http://100.64.0.1/",
])
def test_loopback_and_private_networks_stay_allowed_in_every_spelling(url: str) -> None:
    check_url(url)


def test_the_setting_allows_what_is_refused() -> None:
    check_url("http://[::ffff:169.254.169.254]/", allow_private=True)


def test_a_redirect_to_a_refused_address_is_not_followed(servers: Any, metadata_range: None) -> None:
    metadata = servers("127.0.0.2")
    remote = servers(answer=lambda path: (302, {"Location": f"http://127.0.0.2:{metadata.port}/latest/meta-data/"}))

    with pytest.raises(FatalError, match="the test's metadata address"):
        HttpClient(retries=0).get(f"http://127.0.0.1:{remote.port}/")
    with pytest.raises(FatalError, match="the test's metadata address"):
        HttpClient(retries=0).get(f"http://127.0.0.2:{metadata.port}/")
    assert len(remote.seen) == 1 and metadata.seen == []


def test_redirects_are_followed_a_bounded_number_of_times(servers: Any) -> None:
    loop = servers(answer=lambda path: (302, {"Location": f"/again{path}"}))
    with pytest.raises(FatalError, match=f"more than {MAX_REDIRECTS} redirects"):
        HttpClient(retries=0).get(f"http://127.0.0.1:{loop.port}/")
    assert len(loop.seen) == MAX_REDIRECTS + 1


def test_credentials_follow_a_redirect_only_within_the_origin(servers: Any) -> None:
    other = servers("127.0.0.3")
    origin = servers(answer=lambda path: (
        (303, {"Location": "/done"}) if path == "/form" else
        (302, {"Location": f"http://127.0.0.3:{other.port}/file"}) if path == "/away" else (200, {})))
    client = HttpClient(f"http://127.0.0.1:{origin.port}", auth=("user", "pw"))

    assert client.post("/form", json={"a": 1}).text == "ok"
    assert client.get("/away", headers={"Cookie": "c=1"}).text == "ok"

    posted, done, _away = origin.seen
    assert (posted["method"], done["method"], done["path"], done["body"]) == ("POST", "GET", "/done", b"")
    assert done["headers"]["Authorization"] == "Basic dXNlcjpwdw=="
    (fetched,) = other.seen
    assert fetched["path"] == "/file"
    assert "Authorization" not in fetched["headers"] and "Cookie" not in fetched["headers"]


def test_the_caller_may_ask_for_the_redirect_itself(servers: Any) -> None:
    remote = servers(answer=lambda path: (302, {"Location": "/elsewhere"}))
    response = HttpClient().get(f"http://127.0.0.1:{remote.port}/", allow_redirects=False)
    assert response.status_code == 302 and len(remote.seen) == 1


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], list[str]]:
    """``rebind.test`` answers with the next address of the list each time it is looked up."""
    real = socket.getaddrinfo

    def install(answers: list[str]) -> list[str]:
        asked: list[str] = []

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in ("rebind.test", "hub-tls.test"):
                return real(host, port, *args, **kwargs)
            address = answers[min(len(asked), len(answers) - 1)]
            asked.append(address)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    return install


def test_dns_rebinding_between_the_check_and_the_connection_is_refused(
        servers: Any, rebinding_dns: Any, metadata_range: None) -> None:
    metadata = servers("127.0.0.2")
    harmless = servers("127.0.0.1", port=metadata.port)  # one port, two addresses: one name, two answers
    asked = rebinding_dns(["127.0.0.1", "127.0.0.2"])

    with pytest.raises(FatalError, match="the test's metadata address"):
        HttpClient(retries=0).get(f"http://rebind.test:{metadata.port}/latest/meta-data/")
    assert metadata.seen == [] and harmless.seen == [] and asked == ["127.0.0.1", "127.0.0.2"]


def test_a_name_is_looked_up_once_per_connection_and_keeps_its_host_header(servers: Any, rebinding_dns: Any) -> None:
    remote = servers("127.0.0.1")
    asked = rebinding_dns(["127.0.0.1"])
    assert HttpClient().get(f"http://rebind.test:{remote.port}/x").text == "ok"
    assert remote.seen[0]["headers"]["Host"] == f"rebind.test:{remote.port}"
    assert len(asked) == 2  # the check before the request, and the connection's own


def test_tls_keeps_the_name_for_sni_and_the_certificate(servers: Any, rebinding_dns: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import requests.certs

    from tests.support.imap import make_tls_files

    # requests lets this variable override a session's CA file; the connector's own must win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    tls = make_tls_files(tmp_path, hostnames=("hub-tls.test",), addresses=())
    remote = servers("127.0.0.1", tls=tls)
    rebinding_dns(["127.0.0.1"])
    assert HttpClient(verify=str(tls.cafile)).get(f"https://hub-tls.test:{remote.port}/").text == "ok"
    with pytest.raises(Exception, match=r"certificate|SSL"):
        HttpClient(verify=str(tls.cafile), retries=0).get(f"https://127.0.0.1:{remote.port}/")
