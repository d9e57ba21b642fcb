"""An asyncua client as the OPC UA connector opens one: short sessions, credentials that
never reach a log, a best-effort close; and the one-shot Acknowledge call on a condition.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

from asyncua import Client, Node, ua

from connectors.opcua.events import standard_node
from connectors.opcua.security import ClientSecurity, SecurityRefused, ServerNotTrusted, apply_security

log = logging.getLogger("connectors.opcua.uaclient")


def redact_url(url: str) -> str:
    # URLs may carry user:password@; never let them reach logs or on_state.
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


#: Status codes of a server that refused the hub's application certificate.
REFUSED_CERTIFICATE = ("BadCertificateUntrusted", "BadSecurityChecksFailed", "BadCertificateInvalid",
                       "BadCertificateRevoked", "BadCertificateTimeInvalid", "BadCertificateUriInvalid",
                       "BadCertificateUseNotAllowed", "BadCertificateIssuerRevocationUnknown",
                       "BadCertificateRevocationUnknown")


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, SecurityRefused | ServerNotTrusted):
        return str(exc)  # already a sentence that says what to change
    name = type(exc).__name__
    if name in REFUSED_CERTIFICATE:
        return (f"The server refused the hub's certificate ({name}): its admin must trust the certificate "
                "shown on the instance's page")
    text = str(exc)
    return f"{name}: {text}" if text else name


def make_client(url: str, username: str | None, password: str | None, timeout: float) -> Client:
    client = Client(url, timeout=timeout)
    # One minute, not asyncua's hour: every reconnect and every acknowledge opens a
    # new session, and a PLC with a handful of session slots must not keep our dead
    # ones for long.
    client.session_timeout = 60_000
    if username is not None:
        client.set_user(username)
        if password is not None:
            client.set_password(password)
    return client


async def connect_client(client: Client, security: ClientSecurity | None, timeout: float) -> None:
    """Connect ``client`` as ``security`` asks (checked against the server's endpoints first)."""
    if security is not None:
        await apply_security(client, security, timeout)
    await client.connect()


async def close_client(client: Client, timeout: float) -> None:
    # Best effort: after a lost connection there is nobody to say goodbye to, and a
    # failure here must not hide the reason we are closing.
    try:
        await asyncio.wait_for(client.disconnect(), timeout)
    except Exception as exc:
        log.debug("disconnect from %s: %s", redact_url(client.server_url.geturl()), describe_error(exc))


async def acknowledge(
    url: str,
    condition_id: str,
    event_id: bytes,
    comment: str,
    *,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10,
    security: ClientSecurity | None = None,
) -> None:
    """Acknowledge the condition event ``event_id`` of ``condition_id`` with ``comment``.

    Calls AcknowledgeableConditionType.Acknowledge on the condition object, the way
    Part 9 defines it (well-known method id, condition as the object). Server refusals
    raise ``asyncua.ua.UaStatusCodeError`` subclasses, e.g.
    ``BadConditionBranchAlreadyAcked`` (someone was faster: usually fine) or
    ``BadEventIdUnknown`` (the event is from an occurrence the server has forgotten).
    """
    node_id = ua.NodeId.from_string(condition_id)
    client = make_client(url, username, password, timeout)
    try:
        await connect_client(client, security, timeout)
    except asyncio.CancelledError:
        # A failed connect() cleans up after itself, a cancelled one does not.
        await close_client(client, timeout)
        raise
    try:
        condition: Node = client.get_node(node_id)
        await condition.call_method(
            standard_node(ua.ObjectIds.AcknowledgeableConditionType_Acknowledge),
            ua.Variant(event_id, ua.VariantType.ByteString),
            ua.Variant(ua.LocalizedText(comment), ua.VariantType.LocalizedText),
        )
    finally:
        await close_client(client, timeout)
