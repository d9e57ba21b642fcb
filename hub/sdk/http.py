"""An HTTP client for connectors: timeouts, typed errors, backoff, pagination, URL checks.

Connectors should make every remote call through :class:`HttpClient`: it turns statuses
into the error taxonomy (429 and 5xx retriable with Retry-After honoured, 401/403
authentication, other 4xx fatal), retries safe requests a few times within one call,
refuses link-local and cloud-metadata addresses unless the hub allows them, and keeps
connections pooled.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from hub.sdk.errors import FatalError, RetriableError, error_for_status

log = logging.getLogger("hub.sdk.http")

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_BLOCKED_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),  # link-local, incl. 169.254.169.254 (cloud metadata)
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
)


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs a connector must not reach: non-HTTP schemes, link-local, metadata.

    Loopback and private networks stay allowed (ITSM tools often live on the LAN), but
    a metadata address would hand cloud credentials to whoever controls the config.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FatalError(f"{url!r}: only http and https URLs are allowed")
    if not parts.hostname:
        raise FatalError(f"{url!r}: no host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return  # unresolvable: the request itself will fail with a clear error
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if any(address in network for network in _BLOCKED_NETWORKS):
            raise FatalError(f"{parts.hostname} resolves to {address}, a link-local or metadata address; "
                             "set HUB_ALLOW_PRIVATE_URLS=true if this is really intended")


class HttpClient:
    """A pooled requests session bound to one base URL."""

    def __init__(
        self,
        base_url: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 2,
        max_wait: float = 10.0,
        allow_private: bool = False,
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "itsm-hub", **(headers or {})})
        self.session.auth = auth
        self.session.verify = verify
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.allow_private = allow_private
        self._checked_hosts: set[str] = set()
        self.sleep: Callable[[float], None] = time.sleep

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else urljoin(self.base_url.rstrip("/") + "/",
                                                                              path.lstrip("/"))

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (), **kwargs: Any) -> requests.Response:
        """Send a request; raise the taxonomy error for a failure status unless in ``ok``.

        Safe methods (and any request carrying an Idempotency-Key header) are retried up
        to ``retries`` times when the remote says to retry within ``max_wait`` seconds;
        anything longer is left to the job's own backoff.
        """
        url = self.url(path)
        host = urlsplit(url).netloc
        if host not in self._checked_hosts:
            check_url(url, allow_private=self.allow_private)
            self._checked_hosts.add(host)
        kwargs.setdefault("timeout", self.timeout)
        headers = kwargs.get("headers") or {}
        repeatable = method.upper() in SAFE_METHODS or any(k.lower() == "idempotency-key" for k in headers)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.Timeout as exc:
                error: Exception = RetriableError(f"{method} {url}: timed out ({exc})")
            except requests.ConnectionError as exc:
                error = RetriableError(f"{method} {url}: cannot connect ({type(exc).__name__})")
            else:
                if response.status_code in ok:
                    return response
                failure = error_for_status(response.status_code, _describe(method, url, response), response.headers)
                if failure is None:
                    return response
                error = failure
            if not (repeatable and isinstance(error, RetriableError) and attempt <= self.retries):
                raise error
            jitter = random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not cryptography
            wait = error.retry_after if error.retry_after is not None else min(2**attempt, 8) * jitter
            if wait > self.max_wait:
                raise error
            log.info("retrying %s %s in %.1fs: %s", method, url, wait, error)
            self.sleep(wait)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def paginate(
        self, path: str, *, next_page: Callable[[requests.Response], str | dict[str, Any] | None] | None = None,
        params: dict[str, Any] | None = None, max_pages: int = 10_000, **kwargs: Any,
    ) -> Iterator[requests.Response]:
        """Yield each page; ``next_page`` gives the next URL, or new params, or None at the end.

        The default follows the ``Link: <...>; rel="next"`` header (RFC 8288).
        """
        next_page = next_page or link_next
        url: str | None = path
        for _ in range(max_pages):
            assert url is not None
            response = self.get(url, params=params, **kwargs)
            yield response
            following = next_page(response)
            if following is None:
                return
            if isinstance(following, dict):
                params = {**(params or {}), **following}
            else:
                url, params = following, None
        raise FatalError(f"{path}: more than {max_pages} pages; stopping (is the remote paging in a loop?)")

    def close(self) -> None:
        self.session.close()


def link_next(response: requests.Response) -> str | None:
    link = response.links.get("next")
    return link["url"] if link else None


def _describe(method: str, url: str, response: requests.Response) -> str:
    body = response.text[:300].strip().replace("\n", " ") if response.text else ""
    return f"{method} {url}: HTTP {response.status_code}" + (f": {body}" if body else "")
