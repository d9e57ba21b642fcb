"""paho-mqtt clients as the connector needs them: configured from an instance, with the
broker's answers turned into the hub's error taxonomy.

Three uses, three client ids: the listener's (stable, persistent session, so what is
published while the hub is down waits for it), a publisher's for change states (clean
session, unique), and a connection check's (clean session, unique), so neither of the
last two ever takes the listener's session over.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from connectors.mqtt.tls import TlsTrace, explain, tls_context
from hub.sdk import AuthenticationError, ConnectorError, FatalError, RetriableError

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
#: CONNACK reason codes (MQTT 5 numbering; paho maps 3.1.1 return codes onto them).
AUTH_REFUSED = frozenset({134, 135})  # bad user name or password, not authorized
TRY_LATER = frozenset({136, 137, 159})  # server unavailable, server busy, connection rate exceeded
LISTENER_ENV = "ITSM_HUB_LISTENER"
"""Names one of several listener processes of an instance on one machine ({listener})."""


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> Broker:
    """``mqtt://host[:port]`` or ``mqtts://host[:port]`` (TLS); ValueError says what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("Use mqtt://host:port, or mqtts://host:port for TLS.")
    if not parts.hostname:
        raise ValueError("The URL names no host.")
    if parts.username or parts.password:
        raise ValueError("Put the user name and password in their own fields, not in the URL.")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError("A broker URL has no path or query.")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("The port is not a number from 1 to 65535.") from None
    return Broker(host=parts.hostname, port=port, tls=parts.scheme == "mqtts")


def client_id_for(config: Mapping[str, Any], instance_slug: str) -> str:
    """The listener's stable client id from the instance's template."""
    values = {"instance": instance_slug, "host": socket.gethostname().split(".")[0],
              "listener": os.environ.get(LISTENER_ENV, "1") or "1"}
    template = config.get("client_id") or "itsm-hub-{instance}-{listener}"
    try:
        return template.format_map(values)[:128]
    except (KeyError, ValueError, IndexError):
        raise FatalError(f"client_id {template!r}: use only {{instance}}, {{host}} and {{listener}}.") from None


def make_client(config: Mapping[str, Any], client_id: str, *, persistent: bool,
                trace: TlsTrace | None = None) -> mqtt.Client:
    """A paho client with the instance's protocol, TLS and credentials (not yet connected).

    TlsSetupError when a TLS file cannot be used; ``trace`` records the TLS failures of
    its connections."""
    v5 = config.get("protocol", "5") == "5"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else not persistent,
    )
    broker = parse_broker_url(config["broker_url"])
    if broker.tls:
        client.tls_set_context(tls_context(config, trace))
    if config.get("username"):
        client.username_pw_set(config["username"], config.get("password") or None)
    return client


def connect_arguments(config: Mapping[str, Any], *, persistent: bool) -> dict[str, Any]:
    """Keyword arguments for ``connect``/``connect_async``."""
    broker = parse_broker_url(config["broker_url"])
    arguments: dict[str, Any] = {"host": broker.host, "port": broker.port,
                                 "keepalive": int(config.get("keepalive") or 30)}
    if config.get("protocol", "5") == "5":
        properties = Properties(PacketTypes.CONNECT)
        if persistent:
            properties.SessionExpiryInterval = int(config.get("session_expiry") or 0)
            properties.ReceiveMaximum = int(config.get("receive_maximum") or 1000)
        arguments.update(clean_start=not persistent, properties=properties)
    return arguments


def refusal(reason: Any, config: Mapping[str, Any]) -> ConnectorError:
    """The taxonomy error for a refused CONNACK, naming the settings to look at."""
    code = int(getattr(reason, "value", reason) or 0)
    text = f"The broker refused the connection: {reason} (CONNACK code {code})."
    user = config.get("username")
    if code in AUTH_REFUSED and user:
        return AuthenticationError(f"{text} Check the user name ({user}) and the password; the broker's password "
                                   "file and access rules decide who may connect.")
    if code in AUTH_REFUSED and config.get("tls_cert_file"):
        return AuthenticationError(f"{text} The broker did not accept the client certificate as a login: set a "
                                   "user name and password, or allow that certificate's name on the broker.")
    if code in AUTH_REFUSED:
        return AuthenticationError(f"{text} The broker does not accept anonymous clients: set the user name and "
                                   "password (or a client certificate, if the broker takes it as the login).")
    if code in TRY_LATER:
        return RetriableError(text)
    return FatalError(text)


def network_error(exc: OSError, broker: Broker, config: Mapping[str, Any]) -> ConnectorError:
    if isinstance(exc, ssl.SSLError) or (broker.tls and isinstance(exc, ConnectionResetError)):
        return explain(exc, broker, config)
    return RetriableError(f"Cannot reach {broker.url}: {exc}.")


def lost_before_answer(broker: Broker) -> ConnectorError:
    """The broker closed the connection before its CONNACK, with no TLS error to say why."""
    hint = ("" if broker.tls else " If it expects TLS (port 8883 usually), use mqtts://.")
    return RetriableError(f"{broker.url} closed the connection before answering the login.{hint}")


class Connection:
    """A connected client for short jobs (checks, publishing): connect, wait for CONNACK."""

    def __init__(self, config: Mapping[str, Any], purpose: str, timeout: float = 10.0) -> None:
        self.config = config
        self.timeout = timeout
        self.address = parse_broker_url(config["broker_url"])
        self.broker = self.address.url
        self.trace = TlsTrace()
        self.client = make_client(config, f"itsm-hub-{purpose}-{uuid.uuid4().hex[:12]}", persistent=False,
                                  trace=self.trace)
        self._answered = threading.Event()
        self._refused: ConnectorError | None = None
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self._started = False

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._refused = refusal(reason, self.config) if reason.is_failure else None
        self._answered.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if self._answered.is_set():
            return
        # Closed before any CONNACK: a TLS alert after the handshake (TLS 1.3 refuses a missing
        # client certificate only then), or a broker that wanted TLS and got plain MQTT.
        failure = self.trace.take()
        self._refused = (network_error(failure, self.address, self.config) if failure is not None
                         else lost_before_answer(self.address))
        self._answered.set()

    def open(self) -> None:
        self.trace.take()  # only this attempt's failure explains this attempt
        try:
            self.client.connect(**connect_arguments(self.config, persistent=False))
        except OSError as exc:  # ssl.SSLError included
            raise network_error(exc, self.address, self.config) from None
        self.client.loop_start()
        self._started = True
        if not self._answered.wait(self.timeout):
            raise RetriableError(f"{self.broker} did not answer the connection within {self.timeout:g} s.")
        if self._refused is not None:
            raise self._refused

    @property
    def connected(self) -> bool:
        return self._started and self.client.is_connected()

    def ensure(self) -> None:
        """Connect, or connect again after the connection was lost."""
        if self.connected:
            return
        self.close()
        self._answered.clear()
        self.open()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish with QoS 1 and wait for the broker's PUBACK."""
        self.ensure()
        try:
            info = self.client.publish(topic, payload, qos=1, retain=retain)
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise RetriableError(f"Publishing to {topic} failed: {exc}.") from None
        if not info.is_published():
            raise RetriableError(f"{self.broker} did not acknowledge the message on {topic} in time.")

    def close(self) -> None:
        if self._started:
            self.client.disconnect()
            self.client.loop_stop()
            self._started = False
