"""OPC UA Alarms & Conditions client for the hub's OPC UA connector (pure asyncua).

``stream_conditions`` keeps one event subscription alive against one server and hands
every condition event to the caller, one at a time, awaiting the caller before taking
the next: the caller persists, then the stream moves on. Nothing is buffered beyond a
bounded queue; if the caller falls that far behind, the connection is dropped and
rebuilt, and ConditionRefresh brings back the state of every retained condition.
That is the OPC UA recovery model for alarms anyway: a server does not replay history,
it re-sends the current state of whatever is still interesting (Part 9, 4.5).

``acknowledge`` (connectors.opcua.client) calls a condition's Acknowledge method on a short-lived session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asyncua import Client, ua
from asyncua.common.subscription import OpcEvent, OverflowPolicy, StatusChangeEvent, Subscription

from connectors.opcua.client import acknowledge as acknowledge  # re-exported: its home before the split
from connectors.opcua.client import close_client, connect_client, describe_error, make_client, redact_url
from connectors.opcua.events import (
    REFRESH_END,
    REFRESH_NEEDED,
    REFRESH_START,
    ConditionEvent,
    condition_event,
    field_value,
    select_clauses,
    standard_node,
)
from connectors.opcua.security import ClientSecurity

log = logging.getLogger(__name__)
_T = TypeVar("_T")

OnEvent = Callable[["ConditionEvent"], Awaitable[None]]
OnState = Callable[[str, str], None]


# How often the consumer wakes without events to notice a subscription that asyncua
# re-created behind our back (its stale-subscription watchdog); the new one needs a
# ConditionRefresh or the events lost in between go unnoticed.
_TICK = 1.0
# The server-side queue of our monitored item, per publishing interval. Independent
# of max_pending: a burst (a line stop raises dozens of alarms at once) must reach us
# whole; a server that still overflows it says so with EventQueueOverflowEventType.
_SERVER_QUEUE = 1000
# After the transport is gone, how long to wait for notifications already received
# but still on their way into the queue (they are delivered, not thrown away).
_DRAIN_WAIT = 0.1


class _ConnectionLost(Exception):
    """An established connection ended; reconnect from the minimum delay."""


class _Stopped(Exception):
    """``stop`` was set while connecting."""


class _CallerError(Exception):
    """``on_event`` raised: not a connection problem, so it ends the stream."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _ConditionStream:
    def __init__(
        self,
        url: str,
        source_node: ua.NodeId,
        username: str | None,
        password: str | None,
        on_event: OnEvent,
        stop: asyncio.Event,
        on_state: OnState | None,
        publishing_interval: float,
        max_pending: int,
        request_timeout: float,
        security: ClientSecurity | None = None,
    ) -> None:
        self.url = url
        self.security = security
        self.safe_url = redact_url(url)
        self.source_node = source_node
        self.username = username
        self.password = password
        self.on_event = on_event
        self.stop = stop
        self.on_state = on_state
        self.publishing_interval = publishing_interval
        self.max_pending = max_pending
        self.request_timeout = request_timeout
        # Per connection:
        self.lost_reason = ""
        self.in_refresh = False
        self.refresh_pending = False
        self.needs_close = False

    def report(self, state: str, detail: str) -> None:
        log.info("OPC UA %s %s: %s", self.safe_url, state, detail)
        if self.on_state is None:
            return
        try:
            self.on_state(state, detail)
        except Exception:
            # A broken status callback must not take the alarm stream down with it.
            log.exception("on_state callback failed")

    async def run(self, reconnect_min: float, reconnect_max: float) -> None:
        delay = reconnect_min
        while True:
            try:
                await self.connection()
                return  # stop was set while connected
            except _Stopped:
                return
            except _CallerError as exc:
                raise exc.error from None
            except _ConnectionLost as exc:
                # It worked until now: come back quickly, then back off again.
                delay = reconnect_min
                self.report("disconnected", f"{exc}; reconnecting in {delay:g}s")
            except Exception as exc:
                # Anything else is a failed attempt: refused or reset connections,
                # timeouts, Bad status codes (BadUserAccessDenied, BadNodeIdUnknown,
                # ...), and whatever else asyncua raises. A connector that dies on an
                # unforeseen exception stops delivering alarms, so retry and say why.
                self.report("error", f"{describe_error(exc)}; retrying in {delay:g}s")
            if await self.sleep(delay):
                return
            delay = min(delay * 2, reconnect_max)

    async def sleep(self, seconds: float) -> bool:
        """Wait out a backoff; True when stop was set meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)
        return self.stop.is_set()

    async def until_stopped(self, coro: Awaitable[_T]) -> _T:
        """Await ``coro`` unless stop is set first (then cancel it and raise _Stopped)."""
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not task.done():
                task.cancel()
            await asyncio.wait({task, stopper})
        if task.cancelled():
            raise _Stopped
        return task.result()

    async def connection(self) -> None:
        """One connection's life: connect, subscribe, refresh, consume until lost or stopped."""
        # This connection's own event: a late callback from an earlier client must
        # not tear down the next connection.
        lost = asyncio.Event()
        self.lost_reason = "connection lost"
        self.in_refresh = self.refresh_pending = False
        client = make_client(self.url, self.username, self.password, self.request_timeout)

        async def connection_lost(exc: Exception) -> None:
            self.lost_reason = f"connection lost: {describe_error(exc)}"
            lost.set()

        client.connection_lost_callback = connection_lost
        self.needs_close = True
        try:
            sub = await self.until_stopped(self.subscribe(client))
            await self.refresh(client, sub)
            # Reported after the refresh was requested, so "connected" means every
            # later transition on the server arrives as a live (refresh=False) event.
            self.report("connected", f"subscription {sub.subscription_id} on {self.source_node.to_string()}")
            await self.consume(client, sub, lost)
        finally:
            if self.needs_close:
                await close_client(client, 2 * self.request_timeout)

    async def subscribe(self, client: Client) -> Subscription:
        try:
            await connect_client(client, self.security, self.request_timeout)
        except Exception:
            # A failed connect() has already closed what it opened; disconnecting
            # again would only log warnings. A *cancelled* connect has not, hence
            # the flag rather than skipping the close whenever connect did not finish.
            self.needs_close = False
            raise
        # Keep-alive every ~10 s, so both sides notice a silent peer within a minute.
        keepalive = max(1, math.ceil(10_000 / self.publishing_interval))
        params = ua.CreateSubscriptionParameters(
            RequestedPublishingInterval=self.publishing_interval,
            RequestedLifetimeCount=keepalive * 6,
            RequestedMaxKeepAliveCount=keepalive,
            MaxNotificationsPerPublish=0,
            PublishingEnabled=True,
            Priority=0,
        )
        # No handler: iterator mode, so we pull one event at a time. A full queue
        # means the caller cannot keep up; DISCONNECT turns that into a reconnect plus
        # refresh instead of silently dropping alarms.
        sub = await client.create_subscription(
            params, queue_maxsize=self.max_pending, overflow=OverflowPolicy.DISCONNECT
        )
        evfilter = ua.EventFilter(SelectClauses=select_clauses())
        await sub.subscribe_events(client.get_node(self.source_node), evfilter=evfilter, queuesize=_SERVER_QUEUE)
        return sub

    async def refresh(self, client: Client, sub: Subscription) -> None:
        if self.in_refresh:
            self.refresh_pending = True  # one at a time: servers answer BadRefreshInProgress
            return
        try:
            await client.get_node(ua.ObjectIds.ConditionType).call_method(
                standard_node(ua.ObjectIds.ConditionType_ConditionRefresh),
                ua.Variant(sub.subscription_id, ua.VariantType.UInt32),
            )
        except ua.UaStatusCodeError as exc:
            # The stream still works without it; the caller just lacks the state of
            # alarms raised before we connected. Say so rather than reconnect forever
            # against a server that does not implement refresh.
            self.report("error", f"ConditionRefresh failed: {describe_error(exc)}; streaming new events only")

    async def consume(self, client: Client, sub: Subscription, lost: asyncio.Event) -> None:
        subscription_id = sub.subscription_id
        stopper = asyncio.ensure_future(self.stop.wait())
        loser = asyncio.ensure_future(lost.wait())
        try:
            while not self.stop.is_set():
                getter = asyncio.ensure_future(sub.next_event())
                await asyncio.wait({getter, stopper, loser}, timeout=_TICK, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    # Cancelling a pending queue get never loses an item; wait() (not
                    # await) so that only our own cancellation can raise here.
                    getter.cancel()
                    await asyncio.wait({getter})
                if not getter.cancelled():
                    try:
                        item = getter.result()
                    except StopAsyncIteration:
                        raise _ConnectionLost("subscription closed") from None
                    await self.handle(client, sub, item)
                elif self.stop.is_set():
                    return
                elif lost.is_set():
                    await self.drain(client, sub)
                    raise _ConnectionLost(self.lost_reason)
                elif sub.subscription_id != subscription_id:
                    subscription_id = sub.subscription_id
                    log.warning("OPC UA %s: subscription re-created by the client library", self.safe_url)
                    self.in_refresh = False
                    await self.refresh(client, sub)
        finally:
            for waiter in (stopper, loser):
                waiter.cancel()
            await asyncio.wait({stopper, loser})

    async def drain(self, client: Client, sub: Subscription) -> None:
        # Notifications that arrived before the loss were accepted from the server
        # (it will not send them again); hand them over before reconnecting.
        while not self.stop.is_set():
            try:
                item = await sub.next_event(timeout=_DRAIN_WAIT)
            except StopAsyncIteration:
                return
            if item is None:
                return
            try:
                await self.handle(client, sub, item)
            except _ConnectionLost:
                return

    async def handle(self, client: Client, sub: Subscription, item: Any) -> None:
        if isinstance(item, StatusChangeEvent):
            status = item.notification.Status
            if not status.is_good():
                # asyncua reports a dead transport as BadShutdown; a server reports an
                # expired subscription as BadTimeout. Either way: start over.
                raise _ConnectionLost(f"subscription status {status.name}")
            return
        if not isinstance(item, OpcEvent):
            return
        fields = item.event.event_fields or []
        event_type = field_value(fields, "event_type")
        if event_type == REFRESH_START:
            self.in_refresh = True
            return
        if event_type == REFRESH_END:
            self.in_refresh = False
            if self.refresh_pending:
                self.refresh_pending = False
                await self.refresh(client, sub)
            return
        if event_type in REFRESH_NEEDED:
            log.info("OPC UA %s: server asked for a refresh (%s)", self.safe_url, event_type.to_string())
            await self.refresh(client, sub)
            return
        event = condition_event(fields, self.in_refresh)
        if event is None or self.stop.is_set():
            return
        try:
            await self.on_event(event)
        except Exception as exc:
            raise _CallerError(exc) from exc


async def stream_conditions(
    url: str,
    *,
    source_node: str | None = None,
    username: str | None = None,
    password: str | None = None,
    on_event: OnEvent,
    stop: asyncio.Event,
    reconnect_min: float = 1,
    reconnect_max: float = 30,
    on_state: OnState | None = None,
    publishing_interval: float = 500,
    max_pending: int = 1000,
    request_timeout: float = 4,
    security: ClientSecurity | None = None,
) -> None:
    """Stream condition events from ``url`` until ``stop`` is set.

    Subscribes to events of ``source_node`` (a NodeId string; default the Server
    object, which sees every condition), calls ConditionRefresh after every
    (re)connect, and awaits ``on_event`` for each condition event in order. A
    connection that goes away is rebuilt with exponential backoff from
    ``reconnect_min`` to ``reconnect_max`` seconds; ``on_state`` hears "connected",
    "disconnected" (an established connection ended) and "error" (a connect attempt or
    ConditionRefresh failed) with a human-readable detail.

    ``security`` (connectors.opcua.security) secures the session: mode, policy,
    certificates, trust list and login kind; None is an unsecured session.

    ``publishing_interval`` is in milliseconds. ``max_pending`` bounds the events held
    while ``on_event`` is busy; beyond it the connection is rebuilt (see module doc).

    If ``on_event`` raises, the stream disconnects and the exception propagates: the
    caller could not take the event, and only the caller knows whether to retry.
    Returns once ``stop`` is set; an ``on_event`` call in progress is finished first.
    """
    if reconnect_min <= 0 or reconnect_max < reconnect_min:
        raise ValueError("need 0 < reconnect_min <= reconnect_max")
    if password is not None and username is None:
        raise ValueError("a password needs a username")
    # Parse now: a malformed NodeId is configuration, not something a retry will fix.
    source = ua.NodeId.from_string(source_node) if source_node else standard_node(ua.ObjectIds.Server)
    stream = _ConditionStream(
        url, source, username, password, on_event, stop, on_state, publishing_interval, max_pending, request_timeout,
        security,
    )
    try:
        await stream.run(reconnect_min, reconnect_max)
    finally:
        stream.report("disconnected", "stopped" if stop.is_set() else "stream ended")


