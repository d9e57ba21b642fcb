"""An OPC UA Alarms & Conditions server for tests, driven from plain Python.

The server runs in a background thread with its own event loop, not in a subprocess:
tests flip alarm states and read back acknowledgements many times per test, and a
thread makes each of those a direct call (no control protocol, no pickling, a
traceback that points at the real line). It also keeps the server independent of the
event loop of the code under test, so a client that blocks its own loop cannot stall
the server, which is what a real PLC would do too.

What asyncua (2.1) gives natively and what is built here:

* native: the standard address space with the A&C types, instantiating an
  ``OffNormalAlarmType`` object with its state variables, event field encoding
  for select clauses (``ActiveState/Id`` and friends, the ConditionId as the
  ``NodeId`` attribute), where-clause evaluation, subscriptions and publishing.
* built here: the condition *behaviour*. asyncua has no condition state machine:
  nothing sets ActiveState/AckedState/Retain, the ``Acknowledge`` method has no
  implementation, and its own ConditionRefresh (opt-in via
  ``iserver.bind_condition_methods``) replays only to monitored items on the node
  that last emitted the event, so a client watching ``Objects/Line3`` would get
  RefreshStart/End but none of the conditions. This module keeps each condition's
  state, emits events to every notifier above the machine (Server, line, machine),
  implements ``Acknowledge`` (type method and the instance copy) and replaces
  ``ConditionRefresh``/``ConditionRefresh2``.

Known deviations from Part 9, acceptable for a test double: RefreshStart/End events
go through the monitored item's where clause (the spec says they bypass it), and
ConditionRefresh does not check that the subscription belongs to the calling session
(asyncua does not pass the session to method callbacks).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hmac
import socket
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from asyncua import Server, ua
from asyncua.common import event_objects
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.internal_server import InternalServer
from asyncua.server.user_managers import UserManager

from tests.support.waiting import scaled, wait_until

NAMESPACE_URI = "urn:itsm-hub:tests:opcua-alarms"
SERVER_URI = "urn:itsm-hub:tests:opcua-server"
#: The machines with a condition each; the first is the default for every call.
FILLER = "Line3/Filler2"
LABELER = "Line4/Labeler1"
CONDITION_NAME = "Fault"

# How long a call from the test thread may wait on the server loop on an idle machine
# (tests.support.waiting stretches it by the load): loading the standard address space is
# CPU-bound and on a 2-core machine running two suites it took longer than a fixed 30 s.
_CALL_TIMEOUT = 30.0

_T = TypeVar("_T")
MethodResult = ua.StatusCode | list[ua.Variant]


@dataclass(frozen=True)
class Acknowledgement:
    """One successful Acknowledge call as the server saw it."""

    event_id: bytes
    comment: str
    time: datetime


@dataclass(frozen=True)
class ConditionState:
    """A copy of a condition's state, safe to hand to the test thread."""

    condition_id: str
    active: bool
    acked: bool
    retain: bool
    message: str
    severity: int
    event_id: bytes | None
    comment: str


@dataclass
class _Condition:
    """The simulated machine's alarm. Outlives server restarts, as a PLC's state would."""

    machine: str
    active: bool = False
    acked: bool = True
    retain: bool = False
    message: str = ""
    severity: int = 0
    comment: str = ""
    last_event: Any = None
    # Acknowledge may name any event of the current occurrence (the operator saw one
    # of them); events of an earlier, finished occurrence are BadEventIdUnknown.
    occurrence_event_ids: set[bytes] = field(default_factory=set)
    acknowledgements: list[Acknowledgement] = field(default_factory=list)

    @property
    def line(self) -> str:
        return self.machine.split("/")[0]

    @property
    def source_name(self) -> str:
        return self.machine.split("/")[-1]

    @property
    def base(self) -> str:
        """The string identifier of the condition node; its children hang off it."""
        return f"{self.machine.replace('/', '.')}.{CONDITION_NAME}"

    def node_id(self, ns: int) -> ua.NodeId:
        return _node(self.base, ns)

    def source_id(self, ns: int) -> ua.NodeId:
        return _node(self.machine.replace("/", "."), ns)

    def line_id(self, ns: int) -> ua.NodeId:
        return _node(self.line, ns)


class _PasswordUserManager(UserManager):
    """Accepts exactly one username/password, and the user certificates it was given;
    anything else is BadUserAccessDenied."""

    def __init__(self, username: str | None, password: str | None, certificates: tuple[bytes, ...] = ()) -> None:
        self._username = username
        self._password = password
        self._certificates = certificates

    def get_user(
        self,
        iserver: InternalServer,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        # asyncua passes the secure channel's client certificate with every login, so
        # only a login without a user name is a certificate login.
        if username is None and certificate is not None:
            der = bytes(certificate)
            if any(hmac.compare_digest(der, known) for known in self._certificates):
                return User(role=UserRole.User, name="certificate user")
            return None
        # compare_digest because this is the pattern a real check must follow; the
        # cost is nil and a test double should not model the timing-leak version.
        if (
            self._username is not None
            and self._password is not None
            and username is not None
            and password is not None
            and hmac.compare_digest(username.encode(), self._username.encode())
            and hmac.compare_digest(password.encode(), self._password.encode())
        ):
            return User(role=UserRole.User, name=username)
        return None


def make_test_certificate(uri: str, *, server: bool) -> tuple[bytes, bytes]:
    """A self-signed OPC UA application certificate and its key for ``uri``, both DER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = cert_gen.generate_private_key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    cert = cert_gen.generate_self_signed_app_certificate(
        key, uri, {}, [x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")], [usage])
    return (cert.public_bytes(serialization.Encoding.DER),
            key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def pem_of(der: bytes) -> str:
    """A DER certificate as PEM text (what an admin pastes)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


def free_port(host: str = "127.0.0.1") -> int:
    # A port picked once and kept: restart() must come back on the same port, so
    # letting the OS choose at bind time (port 0) would not do. The tiny window
    # between close and bind is the usual accepted race for test servers.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _node(identifier: int | str, ns: int = 0) -> ua.NodeId:
    # asyncua annotates NodeId's fields with its wire types (Int32, Int16, ...), which
    # plain ints and strs do not satisfy for mypy; at runtime these are what it wants.
    return ua.NodeId(identifier, ns)  # type: ignore[arg-type]


def _status(code: int) -> ua.StatusCode:
    return ua.StatusCode(code)  # type: ignore[arg-type]


def _new_event_id() -> bytes:
    return uuid.uuid4().bytes


class OpcUaAlarmServer:
    """A started-by-tests OPC UA server with two machines, each with an OffNormalAlarm.

    Use as a context manager or call ``start()``/``stop()``. All public methods are
    called from the test thread and run on the server's own loop.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str | None = None,
        password: str | None = None,
        machines: tuple[str, ...] = (FILLER, LABELER),
        policies: tuple[ua.SecurityPolicyType, ...] = (ua.SecurityPolicyType.NoSecurity,),
        trusted_clients: tuple[bytes, ...] | None = None,
        user_certificates: tuple[bytes, ...] = (),
        anonymous: bool | None = None,
    ) -> None:
        """``policies`` are the endpoints the server offers (asyncua's mode+policy pairs).
        ``trusted_clients`` (DER) are the only application certificates it accepts, as a
        plant server with a trust list would (None: any). ``user_certificates`` (DER) may
        log in; ``anonymous`` defaults to "when neither a password nor a certificate is set".
        """
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.policies = policies
        self.trusted_clients = trusted_clients
        self.user_certificates = user_certificates
        self.anonymous = anonymous if anonymous is not None else (username is None and not user_certificates)
        # One certificate for the server's life, restarts included, as a PLC keeps its own.
        self.certificate, self._private_key = make_test_certificate(SERVER_URI, server=True)
        self.host = host
        self.port = port or free_port(host)
        self.username = username
        self.password = password
        self._conditions = {machine: _Condition(machine) for machine in machines}
        self._server: Server | None = None
        self._ns = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._shutdown: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        self._shutdown_error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}/"

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._ready.clear()
        self._startup_error = None
        # Daemon, so a test that forgets stop() cannot hang the interpreter at exit;
        # the fixtures still check that stop() left no thread behind.
        self._thread = threading.Thread(target=self._thread_main, name=f"opcua-test-server-{self.port}", daemon=True)
        self._thread.start()
        thread = self._thread

        def started() -> bool:
            if not self._ready.is_set() and not thread.is_alive():
                raise RuntimeError("the OPC UA test server thread ended before the server was ready")
            return self._ready.is_set()

        wait_until(started, what=f"the OPC UA test server to start on {self.url}", timeout=_CALL_TIMEOUT,
                   ignore=())
        if self._startup_error is not None:
            self._thread.join(scaled(_CALL_TIMEOUT))
            self._thread = None
            raise RuntimeError("OPC UA test server failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        thread, loop, shutdown = self._thread, self._loop, self._shutdown
        if thread is None:
            return
        if loop is not None and shutdown is not None and not loop.is_closed():
            loop.call_soon_threadsafe(shutdown.set)
        wait_until(lambda: not thread.is_alive(), what="the OPC UA test server thread to stop",
                   timeout=_CALL_TIMEOUT, ignore=())
        self._thread = None
        self._loop = None
        if self._shutdown_error is not None:
            error, self._shutdown_error = self._shutdown_error, None
            raise RuntimeError("OPC UA test server did not stop cleanly") from error

    def restart(self) -> None:
        """Stop and start the OPC UA server on the same port, like a PLC reboot.

        Every client connection and subscription is dropped. Condition state (active,
        acked, message, last EventId) is kept, as a server that restores its alarms
        from the machine would; it is reported again on the next ConditionRefresh.
        """
        self._call(self._restart)

    def reset(self) -> None:
        """Forget every condition's state and history, as a fresh server would have.

        Loading the standard address space takes a second or two, so tests share one
        server and reset it in between rather than starting a new one each.
        """
        self._call(self._reset)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the test's controls ---------------------------------------------------------

    def condition_id(self, machine: str = FILLER) -> str:
        """The ConditionId (condition node) as a NodeId string, e.g. ``ns=2;s=Line3.Filler2.Fault``."""
        return self._condition(machine).node_id(self._ns).to_string()

    def source_node(self, machine: str = FILLER) -> str:
        """The machine object's NodeId string: a notifier a client may subscribe to."""
        return self._condition(machine).source_id(self._ns).to_string()

    def line_node(self, machine: str = FILLER) -> str:
        """The NodeId string of the line object above the machine (also a notifier)."""
        return self._condition(machine).line_id(self._ns).to_string()

    def raise_alarm(self, message: str, severity: int = 700, *, machine: str = FILLER) -> bytes:
        """Make the condition active and unacknowledged; returns the new EventId."""
        return self._call(self._raise, machine, message, severity)

    def repeat_alarm(self, *, machine: str = FILLER, message: str | None = None, severity: int | None = None) -> bytes:
        """A new event for the retained condition (new EventId, same ConditionId)."""
        return self._call(self._repeat, machine, message, severity)

    def clear_alarm(self, *, machine: str = FILLER) -> bytes:
        """Make the condition inactive; it stays retained until acknowledged (Part 9)."""
        return self._call(self._clear, machine)

    def emit_plain_event(self, message: str, severity: int = 100) -> bytes:
        """A BaseEventType event from the Server object: an event, but no condition."""
        return self._call(self._emit_plain, message, severity)

    def acknowledged(self, *, machine: str = FILLER) -> bool:
        """Whether a client acknowledged the current occurrence of the condition.

        False for a condition that was never raised: its AckedState is True (nothing
        outstanding) but nobody acknowledged anything.
        """
        return self._call(self._acknowledged, machine)

    def acknowledgements(self, *, machine: str = FILLER) -> list[Acknowledgement]:
        return self._call(self._acknowledgements, machine)

    def state(self, *, machine: str = FILLER) -> ConditionState:
        return self._call(self._snapshot, machine)

    # -- thread and loop plumbing ----------------------------------------------------

    def _thread_main(self) -> None:
        # asyncio.run owns the loop's whole life: it cancels whatever asyncua leaves
        # behind, shuts down async generators and the default executor, and closes
        # the loop, so stop() leaves no task or thread behind.
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._shutdown = asyncio.Event()
        try:
            await self._start_server()
        except Exception as exc:
            self._startup_error = exc
            self._ready.set()
            # Best effort on a half-started server; the startup error is the news.
            with contextlib.suppress(Exception):
                await self._stop_server()
            return
        self._ready.set()
        await self._shutdown.wait()
        try:
            await self._stop_server()
        except Exception as exc:
            self._shutdown_error = exc

    def _call(self, func: Callable[..., Coroutine[Any, Any, _T]], *args: Any) -> _T:
        loop = self._loop
        if loop is None or self._thread is None:
            raise RuntimeError("server is not running")
        future = asyncio.run_coroutine_threadsafe(func(*args), loop)
        thread = self._thread

        def done() -> bool:
            if not future.done() and not thread.is_alive():
                raise RuntimeError("the OPC UA test server thread ended during the call")
            return future.done()

        wait_until(done, what=f"the OPC UA test server to run {func.__name__}", timeout=_CALL_TIMEOUT,
                   interval=0.01, ignore=())
        return future.result()

    def _condition(self, machine: str) -> _Condition:
        try:
            return self._conditions[machine]
        except KeyError:
            raise KeyError(f"no condition on {machine!r}; machines: {sorted(self._conditions)}") from None

    # -- server construction ---------------------------------------------------------

    async def _start_server(self) -> None:
        user_manager = None
        if self.username is not None or self.user_certificates:
            user_manager = _PasswordUserManager(self.username, self.password, self.user_certificates)
        server = Server(user_manager=user_manager)
        self._server = server
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name("itsm-hub test alarms")
        await server.set_application_uri(SERVER_URI)
        await server.load_certificate(self.certificate)
        await server.load_private_key(self._private_key)
        server.set_security_policy(list(self.policies))
        if self.trusted_clients is not None:
            server.set_certificate_validator(self._validate_client)
        tokens: list[type] = []
        if self.anonymous:
            tokens.append(ua.AnonymousIdentityToken)
        if self.username is not None:
            tokens.append(ua.UserNameIdentityToken)
        if self.user_certificates:
            tokens.append(ua.X509IdentityToken)
        server.set_identity_tokens(tokens)
        self._ns = await server.register_namespace(NAMESPACE_URI)
        await self._build_address_space(server)
        self._bind_methods(server)
        await server.start()

    async def _validate_client(self, certificate: Any, description: ua.ApplicationDescription) -> None:
        from cryptography.hazmat.primitives import serialization

        der = certificate.public_bytes(serialization.Encoding.DER)
        if not any(hmac.compare_digest(der, known) for known in self.trusted_clients or ()):
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)

    async def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    async def _reset(self) -> None:
        server = self._server
        if server is None:
            raise RuntimeError("server is not running")
        self._conditions = {machine: _Condition(machine) for machine in self._conditions}
        for cond in self._conditions.values():
            await self._write_condition_nodes(server, cond)

    async def _restart(self) -> None:
        await self._stop_server()
        await self._start_server()

    async def _build_address_space(self, server: Server) -> None:
        ns = self._ns
        objects = server.nodes.objects
        server_node = server.nodes.server
        lines: dict[str, Any] = {}
        for cond in self._conditions.values():
            line = lines.get(cond.line)
            if line is None:
                line = await objects.add_object(cond.line_id(ns), cond.line)
                await self._make_notifier(server, server_node.nodeid, line.nodeid)
                lines[cond.line] = line
            machine = await line.add_object(cond.source_id(ns), cond.source_name)
            await self._make_notifier(server, line.nodeid, machine.nodeid)
            # Only mandatory children: the optional ones (shelving, silence, ...) would
            # add hundreds of nodes to every start and restart for nothing.
            node = await machine.add_object(
                cond.node_id(ns),
                CONDITION_NAME,
                objecttype=ua.ObjectIds.OffNormalAlarmType,
                instantiate_optional=False,
            )
            await machine.add_reference(node.nodeid, ua.ObjectIds.HasCondition)
            await self._write_condition_nodes(server, cond)

    @staticmethod
    async def _make_notifier(server: Server, parent: ua.NodeId, child: ua.NodeId) -> None:
        node = server.get_node(child)
        await node.set_event_notifier([ua.EventNotifier.SubscribeToEvents])
        await server.get_node(parent).add_reference(child, ua.ObjectIds.HasNotifier)

    def _bind_methods(self, server: Server) -> None:
        isession = server.iserver.isession
        # Clients call Acknowledge by the type's well-known method id (Part 9); some
        # browse the instance and call its copy. Both land here.
        isession.add_method_callback(_node(ua.ObjectIds.AcknowledgeableConditionType_Acknowledge), self._on_ack)
        for cond in self._conditions.values():
            copy_id = _node(f"{cond.base}.Acknowledge", self._ns)
            isession.add_method_callback(copy_id, self._on_ack)
        # Replace asyncua's refresh (see module docstring) for both variants.
        isession.add_method_callback(_node(ua.ObjectIds.ConditionType_ConditionRefresh), self._on_refresh)
        isession.add_method_callback(_node(ua.ObjectIds.ConditionType_ConditionRefresh2), self._on_refresh)

    # -- condition behaviour ---------------------------------------------------------

    async def _raise(self, machine: str, message: str, severity: int) -> bytes:
        cond = self._condition(machine)
        cond.occurrence_event_ids.clear()
        cond.active, cond.acked, cond.retain = True, False, True
        cond.message, cond.severity, cond.comment = message, severity, ""
        return await self._emit(cond)

    async def _repeat(self, machine: str, message: str | None, severity: int | None) -> bytes:
        cond = self._condition(machine)
        if not cond.retain:
            raise RuntimeError(f"{machine}: no retained condition to repeat; raise_alarm first")
        if message is not None:
            cond.message = message
        if severity is not None:
            cond.severity = severity
        return await self._emit(cond)

    async def _clear(self, machine: str) -> bytes:
        cond = self._condition(machine)
        if not cond.active:
            raise RuntimeError(f"{machine}: condition is not active")
        cond.active = False
        # Part 9: an alarm stays interesting (retained) until it is both inactive and
        # acknowledged.
        cond.retain = not cond.acked
        return await self._emit(cond)

    async def _snapshot(self, machine: str) -> ConditionState:
        cond = self._condition(machine)
        return ConditionState(
            condition_id=cond.node_id(self._ns).to_string(),
            active=cond.active,
            acked=cond.acked,
            retain=cond.retain,
            message=cond.message,
            severity=cond.severity,
            event_id=None if cond.last_event is None else cond.last_event.EventId,
            comment=cond.comment,
        )

    async def _acknowledged(self, machine: str) -> bool:
        cond = self._condition(machine)
        last = cond.acknowledgements[-1] if cond.acknowledgements else None
        return cond.acked and last is not None and last.event_id in cond.occurrence_event_ids

    async def _acknowledgements(self, machine: str) -> list[Acknowledgement]:
        return list(self._condition(machine).acknowledgements)

    def _build_event(self, cond: _Condition) -> Any:
        ns = self._ns
        now = datetime.now(UTC)
        # Any: asyncua's event classes create their fields at runtime.
        event: Any = event_objects.OffNormalAlarm()
        # asyncua models the ConditionId as a property named after the NodeId
        # attribute: that is what a select clause with AttributeId=NodeId reads.
        event.add_property("NodeId", cond.node_id(ns), ua.VariantType.NodeId)
        event.EventId = _new_event_id()
        event.SourceNode = cond.source_id(ns)
        event.SourceName = cond.source_name
        event.Time = now
        event.ReceiveTime = now
        event.Message = ua.LocalizedText(cond.message)
        event.Severity = cond.severity
        event.LastSeverity = cond.severity
        event.ConditionName = CONDITION_NAME
        event.BranchId = ua.NodeId()
        event.Retain = cond.retain
        event.Quality = _status(ua.StatusCodes.Good)
        event.Comment = ua.LocalizedText(cond.comment)
        event.EnabledState = ua.LocalizedText("Enabled")
        setattr(event, "EnabledState/Id", True)
        event.ActiveState = ua.LocalizedText("Active" if cond.active else "Inactive")
        setattr(event, "ActiveState/Id", cond.active)
        event.AckedState = ua.LocalizedText("Acknowledged" if cond.acked else "Unacknowledged")
        setattr(event, "AckedState/Id", cond.acked)
        return event

    async def _emit(self, cond: _Condition) -> bytes:
        server = self._server
        if server is None:
            raise RuntimeError("server is not running")
        event = self._build_event(cond)
        cond.last_event = event
        cond.occurrence_event_ids.add(event.EventId)
        await self._write_condition_nodes(server, cond)
        await self._deliver(server, event, self._notifiers(cond))
        return bytes(event.EventId)

    async def _emit_plain(self, message: str, severity: int) -> bytes:
        server = self._server
        if server is None:
            raise RuntimeError("server is not running")
        event = self._server_event(event_objects.BaseEvent(), message, severity)
        await self._deliver(server, event, [_node(ua.ObjectIds.Server)])
        return bytes(event.EventId)

    async def _deliver(self, server: Server, event: Any, notifiers: list[ua.NodeId]) -> None:
        # A snapshot of the subscriptions: a client may subscribe while we deliver.
        subscriptions = list(server.iserver.subscription_service.subscriptions.values())
        for notifier in notifiers:
            for sub in subscriptions:
                await sub.monitored_item_srv.trigger_event(self._from(event, notifier))

    def _notifiers(self, cond: _Condition) -> list[ua.NodeId]:
        # asyncua delivers an event only to monitored items on its emitting node, so
        # the event is sent once per notifier the machine reports through.
        return [_node(ua.ObjectIds.Server), cond.line_id(self._ns), cond.source_id(self._ns)]

    @staticmethod
    def _from(event: Any, notifier: ua.NodeId) -> Any:
        # Shallow copy: the field values are shared and never mutated after emit
        # (asyncua deep-copies them into the notification); only the emitter differs.
        clone = copy.copy(event)
        clone.emitting_node = notifier
        return clone

    async def _write_condition_nodes(self, server: Server, cond: _Condition) -> None:
        # Keep the condition node's variables in step with its events, so a client
        # reading the node (instead of subscribing) sees the same state.
        base = cond.base
        event = cond.last_event
        values: list[tuple[str, Any, ua.VariantType]] = [
            ("EnabledState", ua.LocalizedText("Enabled"), ua.VariantType.LocalizedText),
            ("EnabledState.Id", True, ua.VariantType.Boolean),
            ("ActiveState", ua.LocalizedText("Active" if cond.active else "Inactive"), ua.VariantType.LocalizedText),
            ("ActiveState.Id", cond.active, ua.VariantType.Boolean),
            (
                "AckedState",
                ua.LocalizedText("Acknowledged" if cond.acked else "Unacknowledged"),
                ua.VariantType.LocalizedText,
            ),
            ("AckedState.Id", cond.acked, ua.VariantType.Boolean),
            ("Retain", cond.retain, ua.VariantType.Boolean),
            ("Message", ua.LocalizedText(cond.message), ua.VariantType.LocalizedText),
            ("Severity", cond.severity, ua.VariantType.UInt16),
            ("Comment", ua.LocalizedText(cond.comment), ua.VariantType.LocalizedText),
            ("ConditionName", CONDITION_NAME, ua.VariantType.String),
            ("SourceName", cond.source_name, ua.VariantType.String),
            ("SourceNode", cond.source_id(self._ns), ua.VariantType.NodeId),
        ]
        if event is not None:
            values.append(("EventId", event.EventId, ua.VariantType.ByteString))
            values.append(("Time", event.Time, ua.VariantType.DateTime))
        for name, value, vtype in values:
            await server.get_node(_node(f"{base}.{name}", self._ns)).write_value(ua.Variant(value, vtype))

    # -- method implementations (run on the server loop, called by asyncua) ----------

    async def _on_ack(self, parent: ua.NodeId, *args: ua.Variant) -> MethodResult:
        cond = next((c for c in self._conditions.values() if c.node_id(self._ns) == parent), None)
        if cond is None:
            return _status(ua.StatusCodes.BadNodeIdInvalid)
        if len(args) < 2:
            return _status(ua.StatusCodes.BadArgumentsMissing)
        if len(args) > 2:
            return _status(ua.StatusCodes.BadTooManyArguments)
        event_id, comment = args[0].Value, args[1].Value
        if not isinstance(event_id, bytes):
            return _status(ua.StatusCodes.BadTypeMismatch)
        if event_id not in cond.occurrence_event_ids:
            return _status(ua.StatusCodes.BadEventIdUnknown)
        if cond.acked:
            return _status(ua.StatusCodes.BadConditionBranchAlreadyAcked)
        text = comment.Text if isinstance(comment, ua.LocalizedText) else comment
        cond.acked = True
        cond.comment = text or ""
        cond.retain = cond.active
        cond.acknowledgements.append(Acknowledgement(event_id, cond.comment, datetime.now(UTC)))
        # The acknowledgement is itself a state change, reported as a new event.
        await self._emit(cond)
        return []

    async def _on_refresh(self, parent: ua.NodeId, *args: ua.Variant) -> MethodResult:
        server = self._server
        if server is None:
            return _status(ua.StatusCodes.BadShutdown)
        if not args:
            return _status(ua.StatusCodes.BadArgumentsMissing)
        sub = server.iserver.subscription_service.subscriptions.get(args[0].Value)
        if sub is None:
            return _status(ua.StatusCodes.BadSubscriptionIdInvalid)
        mid: int | None = None
        if len(args) > 1:
            mid = args[1].Value
            # asyncua has no public lookup of a subscription's monitored items; its
            # own refresh reads the same attribute.
            if mid not in sub.monitored_item_srv._monitored_items:
                return _status(ua.StatusCodes.BadMonitoredItemIdInvalid)
        notifiers = [_node(ua.ObjectIds.Server)]
        for cond in self._conditions.values():
            notifiers += [n for n in self._notifiers(cond) if n not in notifiers]
        deliver = sub.monitored_item_srv.trigger_event
        # Part 9: one RefreshStart copy per notifier monitored item, all with the same
        # EventId; then each retained condition's latest event, unchanged (same
        # EventId, so it can still be acknowledged); then RefreshEnd likewise.
        # ``mid`` None means every monitored item (ConditionRefresh), else just one.
        start = self._server_event(event_objects.RefreshStartEvent(), "ConditionRefresh started")
        for notifier in notifiers:
            await deliver(self._from(start, notifier), mid)
        for cond in self._conditions.values():
            if cond.retain and cond.last_event is not None:
                for notifier in self._notifiers(cond):
                    await deliver(self._from(cond.last_event, notifier), mid)
        end = self._server_event(event_objects.RefreshEndEvent(), "ConditionRefresh finished")
        for notifier in notifiers:
            await deliver(self._from(end, notifier), mid)
        return []

    @staticmethod
    def _server_event(event: Any, message: str, severity: int = 1) -> Any:
        now = datetime.now(UTC)
        event.EventId = _new_event_id()
        event.SourceNode = _node(ua.ObjectIds.Server)
        event.SourceName = "Server"
        event.Time = now
        event.ReceiveTime = now
        event.Message = ua.LocalizedText(message)
        event.Severity = severity
        return event
