"""An HTTP client for connectors: timeouts, typed errors, backoff, pagination, URL checks.

Connectors should make every remote call through :class:`HttpClient`: it turns statuses
into the error taxonomy (429 and 5xx retriable with Retry-After honoured, 401/403
authentication, other 4xx fatal), retries safe requests a few times within one call,
refuses link-local and cloud-metadata addresses unless the hub allows them (checked again
at every connection and every redirect), and keeps connections pooled.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.auth

from hub.sdk.errors import FatalError, RetriableError, error_for_status
from hub.sdk.url_guard import GuardedAdapter, blocked_cause, checked_addresses

log = logging.getLogger("hub.sdk.http")

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
#: Headers that carry credentials: never sent on to another origin by a redirect.
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs a connector must not reach: non-HTTP schemes, link-local, metadata.

    Loopback and private networks stay allowed (ITSM tools often live on the LAN), but
    a metadata address would hand cloud credentials to whoever controls the config.
    HttpClient checks again where it connects (see hub.sdk.url_guard), so a name that
    resolves differently a moment later gains nothing.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FatalError(f"{url!r}: only http and https URLs are allowed")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise FatalError(f"{url!r}: not a valid host and port") from None
    if not host:
        raise FatalError(f"{url!r}: no host")
    if allow_private:
        return
    try:
        checked_addresses(host, port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror:
        return  # unresolvable: the request itself will fail with a clear error
    except (ValueError, UnicodeError) as exc:
        raise FatalError(f"{exc}; set HUB_ALLOW_PRIVATE_URLS=true if this is really intended") from None


class _NoAuth(requests.auth.AuthBase):
    """Stands in for the session's auth on a request that must carry none."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


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
        if not allow_private:
            for prefix in ("http://", "https://"):
                self.session.mount(prefix, GuardedAdapter())
        self.session.headers.update({"User-Agent": "itsm-hub", **(headers or {})})
        self.session.auth = auth
        self.session.verify = verify
        # Per request too: requests lets REQUESTS_CA_BUNDLE override a session's own CA file.
        self.verify = verify
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
        anything longer is left to the job's own backoff. Redirects are followed here, not
        by requests, so each new address is checked like the first, at most
        ``MAX_REDIRECTS`` of them, and credentials never follow one to another origin.
        """
        url = self.url(path)
        follow = kwargs.pop("allow_redirects", True)
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify", self.verify)
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, ok, kwargs)
            location = response.headers.get("Location")
            if not follow or response.status_code not in REDIRECT_STATUSES or not location \
                    or response.status_code in ok:
                return response
            target = urljoin(url, location)
            response.close()
            method, kwargs = _redirected(method, response.status_code, kwargs, _same_origin(url, target))
            url = target
        raise FatalError(f"{method} {self.url(path)}: more than {MAX_REDIRECTS} redirects")

    def _check(self, url: str) -> None:
        host = urlsplit(url).netloc
        if host not in self._checked_hosts:
            check_url(url, allow_private=self.allow_private)
            self._checked_hosts.add(host)

    def _send(self, method: str, url: str, ok: tuple[int, ...], kwargs: dict[str, Any]) -> requests.Response:
        """One request to one URL, retried as ``request`` describes; redirects come back as they are."""
        self._check(url)
        headers = kwargs.get("headers") or {}
        repeatable = method.upper() in SAFE_METHODS or any(k.lower() == "idempotency-key" for k in headers)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, allow_redirects=False, **kwargs)
            except requests.Timeout as exc:
                error: Exception = RetriableError(f"{method} {url}: timed out ({exc})")
            except requests.ConnectionError as exc:
                blocked = blocked_cause(exc)
                if blocked is not None:
                    raise FatalError(f"{method} {url}: {blocked.why}; set HUB_ALLOW_PRIVATE_URLS=true if this "
                                     "is really intended") from None
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


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _redirected(method: str, status: int, kwargs: dict[str, Any], same_origin: bool) -> tuple[str, dict[str, Any]]:
    """The method and arguments of the request a redirect asks for (as browsers and requests do)."""
    kwargs = dict(kwargs)
    kwargs.pop("params", None)  # the Location carries its own query
    if (status == 303 and method.upper() != "HEAD") or (status in (301, 302) and method.upper() == "POST"):
        method = "GET"
        for name in ("data", "json", "files"):
            kwargs.pop(name, None)
        kwargs["headers"] = {key: value for key, value in (kwargs.get("headers") or {}).items()
                             if key.lower() not in ("content-type", "content-length")}
    if not same_origin:
        # None removes the session's own header for this request (requests' merge rule).
        headers = {key: value for key, value in (kwargs.get("headers") or {}).items()
                   if key.lower() not in {name.lower() for name in _CREDENTIAL_HEADERS}}
        kwargs["headers"] = {**headers, **dict.fromkeys(_CREDENTIAL_HEADERS)}
        kwargs["auth"] = _NoAuth()
    return method, kwargs


def _describe(method: str, url: str, response: requests.Response) -> str:
    body = response.text[:300].strip().replace("\n", " ") if response.text else ""
    return f"{method} {url}: HTTP {response.status_code}" + (f": {body}" if body else "")
