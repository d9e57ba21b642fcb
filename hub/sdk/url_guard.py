"""Which addresses a connector may reach, checked where the connection is made.

A URL is checked twice: once before the request (a clear error for the admin who typed
it) and again inside the connection, on the very addresses the socket then connects to.
The second check is what closes DNS rebinding: a name that resolved to a harmless
address for the first check and to a metadata address a moment later is refused,
because the connection resolves once, checks what it got and connects only to that.

Every way of writing an IPv4 address inside IPv6 (mapped ``::ffff:a.b.c.d``,
compatible ``::a.b.c.d``, SIIT ``::ffff:0:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``, 6to4
``2002:AABB:CCDD::``) is judged by the IPv4 address it carries. docs/security.md lists
the ranges and why.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Refused unless HUB_ALLOW_PRIVATE_URLS is set. Loopback and private networks are not
#: here on purpose: ITSM tools often live on the LAN (docs/security.md).
BLOCKED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (ipaddress.IPv4Network("0.0.0.0/8"), "an unspecified ('this host') address"),
    (ipaddress.IPv4Network("169.254.0.0/16"), "a link-local address (cloud metadata lives at 169.254.169.254)"),
    (ipaddress.IPv4Network("100.100.100.200/32"), "the Alibaba Cloud metadata address"),
    (ipaddress.IPv4Network("168.63.129.16/32"), "the Azure platform (WireServer) address"),
    (ipaddress.IPv4Network("224.0.0.0/4"), "a multicast address"),
    (ipaddress.IPv4Network("240.0.0.0/4"), "a reserved or broadcast address"),
)
BLOCKED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (ipaddress.IPv6Network("::/128"), "the unspecified address"),
    (ipaddress.IPv6Network("fe80::/10"), "a link-local address"),
    (ipaddress.IPv6Network("fd00:ec2::254/128"), "the AWS metadata address"),
    (ipaddress.IPv6Network("ff00::/8"), "a multicast address"),
    (ipaddress.IPv6Network("2001::/32"), "a Teredo tunnel address (it can carry any IPv4 address)"),
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a local-use NAT64 address (it can carry any IPv4 address)"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, when it is one of the ways to write one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    last32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or address in _SIIT:
        return last32
    if address in _COMPATIBLE and int(address) > 1:  # :: and ::1 are IPv6's own
        return last32
    return None


def blocked_reason(address: Address) -> str | None:
    """Why a connector may not reach ``address``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped IPv6 address (with a zone such as %eth0)"
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = blocked_reason(inner)
            return f"{reason}, written as IPv6" if reason else None
        return next((why for network, why in BLOCKED_V6 if address in network), None)
    return next((why for network, why in BLOCKED_V4 if address in network), None)


class BlockedAddress(NewConnectionError):
    """A connection the guard refused; HttpClient turns it into a FatalError."""

    def __init__(self, conn: Any, why: str) -> None:
        super().__init__(conn, why)
        self.why = why


def parse_address(text: str) -> Address:
    return ipaddress.ip_address(text)


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """getaddrinfo for a TCP connection; tests replace it to play a rebinding DNS server."""
    return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)


def checked_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """Resolve ``host`` once; every answer must be allowed, or ValueError says which is not."""
    host = host.strip("[]")
    try:
        literal: Address | None = parse_address(host)
    except ValueError:
        literal = None
    reason = blocked_reason(literal) if literal is not None else None
    if reason:  # judged as written: a zone such as %eth0 may not even resolve here
        raise ValueError(f"{host} is {reason}")
    infos = resolve(host, port)
    for info in infos:
        text = str(info[4][0])
        address = parse_address(text.split("%")[0])
        scoped = "%" in text or (len(info[4]) > 3 and bool(info[4][3]))
        reason = "a scoped IPv6 address (with a zone such as %eth0)" if scoped else blocked_reason(address)
        if reason:
            raise ValueError(f"{host} resolves to {address}, {reason}")
    return infos


class _GuardedConnection(HTTPConnection):
    """Connects only to addresses it resolved and checked itself (no second lookup)."""

    def _new_conn(self) -> socket.socket:
        try:
            infos = checked_addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except ValueError as exc:
            raise BlockedAddress(self, str(exc)) from None
        error: Exception | None = None
        for info in infos:
            try:
                return connection.create_connection(
                    (str(info[4][0]), self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as exc:
                error = ConnectTimeoutError(self, f"Connection to {self.host} timed out. "
                                                  f"(connect timeout={self.timeout})")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
        raise error or NewConnectionError(self, f"{self.host} has no address")


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    """The same for TLS: the name stays the SNI and certificate name; only the lookup is ours."""


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections check every address they connect to.

    Requests sent through a proxy (HTTP(S)_PROXY) connect to the proxy, which resolves
    the name itself: only the check before the request applies to them.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def blocked_cause(exc: BaseException) -> BlockedAddress | None:
    """The guard's refusal inside what requests raised, if that is why it failed."""
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BlockedAddress):
            return current
        pending += [getattr(current, "reason", None), current.__cause__ if isinstance(current, BaseException)
                    else None, *(getattr(current, "args", ()) or ())]
    return None
