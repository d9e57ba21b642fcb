"""Acknowledging a condition on the server when its incident is acknowledged in the hub.

Acknowledge names an EventId of the condition's current occurrence. The condition
node's own EventId property holds the latest one on servers that expose it (most do);
otherwise the event that opened the incident is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from urllib.parse import urlsplit

from asyncua import ua

from connectors.opcua.client import REFUSED_CERTIFICATE, connect_client, make_client
from connectors.opcua.security import ClientSecurity, SecurityRefused, ServerNotTrusted
from connectors.opcua.uaclient import acknowledge
from hub.sdk import AuthenticationError, ConnectorError, FatalError, RetriableError

#: Refusals that mean there is nothing (left) to acknowledge: someone was faster, or the
#: occurrence is over. The hub's acknowledgement stands; the delivery is done.
SETTLED = ("BadConditionBranchAlreadyAcked", "BadEventIdUnknown", "BadConditionDisabled")
AUTH = ("BadUserAccessDenied", "BadIdentityTokenRejected", "BadIdentityTokenInvalid", "BadUserSignatureInvalid")


async def current_event_id(url: str, condition_id: str, *, username: str | None, password: str | None,
                           timeout: float, security: ClientSecurity | None = None) -> bytes | None:
    """The condition's latest EventId as its node reports it, or None if not exposed."""
    client = make_client(url, username or None, (password or None) if username else None, timeout)
    await connect_client(client, security, timeout)
    try:
        node = await client.get_node(ua.NodeId.from_string(condition_id)).get_child("0:EventId")
        value = await node.read_value()
        return bytes(value) if value else None
    except ua.UaStatusCodeError:
        return None
    finally:
        with contextlib.suppress(Exception):  # nothing to do about a failed goodbye
            await asyncio.wait_for(client.disconnect(), timeout)


async def _acknowledge(url: str, condition_id: str, first_event: bytes | None, comment: str, *,
                       username: str | None, password: str | None, timeout: float,
                       security: ClientSecurity | None) -> str:
    event_id = await current_event_id(url, condition_id, username=username, password=password,
                                      timeout=timeout, security=security) or first_event
    if not event_id:
        return "no event of the condition to acknowledge"
    await acknowledge(url, condition_id, event_id, comment, username=username, password=password, timeout=timeout,
                      security=security)
    return "acknowledged on the server"


def acknowledge_condition(url: str, condition_id: str, first_event: bytes | None, comment: str, *,
                          username: str | None = None, password: str | None = None,
                          timeout: float = 10.0, security: ClientSecurity | None = None) -> str:
    """Acknowledge from synchronous code; errors come back in the hub's taxonomy."""
    try:
        return asyncio.run(_acknowledge(url, condition_id, first_event, comment, username=username,
                                        password=password, timeout=timeout, security=security))
    except ua.UaStatusCodeError as exc:
        name = type(exc).__name__
        if name in SETTLED:
            return f"nothing to acknowledge: {name}"
        if name in ("BadNodeIdUnknown", "BadNodeIdInvalid", "BadMethodInvalid"):
            raise FatalError(f"The server has no condition {condition_id}: {name}.") from None
        raise taxonomy(exc, url, security) from None
    except (OSError, TimeoutError, ua.UaError) as exc:
        raise taxonomy(exc, url, security) from None


def taxonomy(exc: BaseException, url: str, security: ClientSecurity | None = None) -> ConnectorError:
    """The hub's error for what asyncua raised."""
    name = type(exc).__name__
    if isinstance(exc, SecurityRefused | ServerNotTrusted):
        # Settings, not weather: shown on the instance, and deliveries wait until it is fixed.
        return AuthenticationError(str(exc))
    if name in REFUSED_CERTIFICATE:
        return AuthenticationError(refused_certificate(name, security))
    if name in AUTH:
        return AuthenticationError(f"The server refused the user: {name}.")
    if isinstance(exc, ua.UaStatusCodeError):
        return RetriableError(f"The server answered {name}: {exc}.")
    return RetriableError(f"Cannot reach {url}: {name}: {exc}.")


def refused_certificate(name: str, security: ClientSecurity | None) -> str:
    thumb = security.hub_thumbprint() if security else None
    which = f" (SHA-1 {thumb})" if thumb else ""
    return (f"The server refused the hub's certificate{which}: {name}. Its admin must trust the certificate "
            "shown on this instance's page (in most servers: move it from the rejected to the trusted folder).")


def open_session(url: str, *, username: str | None = None, password: str | None = None,
                 timeout: float = 10.0, security: ClientSecurity | None = None) -> None:
    """Open and close a session (a connection check); errors in the hub's taxonomy."""
    try:
        asyncio.run(current_event_id(url, "i=2253", username=username, password=password, timeout=timeout,
                                     security=security))
    except (OSError, TimeoutError, ua.UaError) as exc:
        raise taxonomy(exc, url, security) from None


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """A TCP connection to the server (no session: PLCs have few), or RetriableError."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 4840), timeout=timeout):
            return
    except OSError as exc:
        raise RetriableError(f"Cannot reach {url}: {exc}.") from None
