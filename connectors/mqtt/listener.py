"""The MQTT listener loop: receive, store in batches, acknowledge what is stored.

paho's network thread only queues messages. This loop takes what arrived together (up
to ``batch_size`` messages, waiting at most ``batch_window_ms`` for more), hands them to
``sink.accept_many`` (one transaction), and sends each PUBACK only after that returns.
A crash before the acknowledgement makes the broker deliver again, and the event's
idempotency key makes that harmless; a crash before the commit loses nothing either.

Acknowledgements go back on the connection the message came on: after a reconnect,
packet ids of the old connection mean nothing (or something else), so messages of an
earlier connection are stored but not acknowledged, and the broker's re-delivery of
them is recognised as a duplicate.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from connectors.mqtt.client import (
    client_id_for,
    connect_arguments,
    lost_before_answer,
    make_client,
    network_error,
    parse_broker_url,
    refusal,
)
from connectors.mqtt.mapping import KEPT_OF_OVERSIZED, raw_event
from connectors.mqtt.tls import TlsTrace
from hub.sdk import EventSink, RawEvent

RECONNECT_MIN = 1
RECONNECT_MAX = 30
STORE_RETRY_MAX = 30.0


class StoreFailed(Exception):
    """Storing failed for a reason that is not one message's fault (the database is away)."""


def subscriptions(config: Mapping[str, Any]) -> list[str]:
    filters = list(dict.fromkeys([*config.get("topics", []), *config.get("change_topics", [])]))
    group = config.get("shared_group")
    return [f"$share/{group}/{topic}" for topic in filters] if group else filters


class MqttListener:
    def __init__(self, config: Mapping[str, Any], instance_slug: str, sink: EventSink, stop: threading.Event,
                 log: logging.Logger) -> None:
        self.config = config
        self.sink = sink
        self.stop = stop
        self.log = log
        self.client_id = client_id_for(config, instance_slug)
        self.address = parse_broker_url(config["broker_url"])
        self.broker = self.address.url
        self.filters = subscriptions(config)
        self.batch_size = int(config.get("batch_size") or 500)
        self.window = float(config.get("batch_window_ms") or 50) / 1000
        self.inbox: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self.states: queue.Queue[tuple[str, str]] = queue.Queue()
        self.generation = 0
        self.up = False  # a session is established (CONNACK accepted)
        self.refused = False  # the last CONNACK refused, and its reason was reported
        self.stored = 0
        self.trace = TlsTrace()
        self.client = make_client(config, self.client_id, persistent=True, trace=self.trace)

    # -- paho's thread: queue only ---------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self.refused = True
            self.states.put(("error", f"{refusal(reason, self.config).message} Retrying."))
            return
        self.up = True
        self.trace.take()  # a failure of an earlier attempt is history now
        self.generation += 1
        if self.config.get("protocol", "5") == "5":
            client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in self.filters])
        else:
            client.subscribe([(topic, 1) for topic in self.filters])
        resumed = "resumed its session" if flags.session_present else "started a new session"
        self.states.put(("connected", f"{self.broker} as {self.client_id}: {resumed}"))

    def _tls_failure(self) -> str | None:
        """What the last TLS failure means, said for the listener's status, or None."""
        failure = self.trace.take()
        return network_error(failure, self.address, self.config).message if failure is not None else None

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        explained = self._tls_failure()
        self.states.put(("error", f"{explained} Retrying." if explained else f"cannot reach {self.broker}; retrying"))

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        refused = [f"{topic} ({reason})" for topic, reason in zip(self.filters, reasons, strict=False)
                   if reason.is_failure]
        if refused:
            self.states.put(("error", "the broker refused the subscription to " + ", ".join(refused)))

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        was_up, was_refused, self.up, self.refused = self.up, self.refused, False, False
        if self.stop.is_set():
            return
        explained = self._tls_failure()  # e.g. TLS 1.3 refusing a client certificate after the handshake
        if explained:
            self.states.put(("error", f"{explained} Reconnecting."))
        elif was_up:
            self.states.put(("disconnected", f"{self.broker}: {reason}; reconnecting"))
        elif not was_refused:  # closed before any CONNACK; a refusal has said why already
            self.states.put(("error", f"{lost_before_answer(self.address).message} Retrying."))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.put((self.generation, message))

    # -- the listener's own thread ----------------------------------------------------

    def run(self) -> None:
        client = self.client
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        client.connect_async(**connect_arguments(self.config, persistent=True))
        client.loop_start()
        try:
            while not self.stop.is_set():
                self._report_states()
                batch = self._collect()
                if batch:
                    self._deliver(batch)
        finally:
            client.disconnect()  # a normal disconnect keeps the session (its expiry is set at connect)
            client.loop_stop()
            self._report_states()
            self.sink.report("disconnected", "stopped")

    def _report_states(self) -> None:
        last: tuple[str, str] | None = None
        while True:
            try:
                last = self.states.get_nowait()
            except queue.Empty:
                break
            self.log.info("%s: %s", *last)
        if last is not None:
            self.sink.report(*last)

    def _collect(self) -> list[tuple[int, mqtt.MQTTMessage]]:
        try:
            batch = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.window
        while len(batch) < self.batch_size:
            try:
                batch.append(self.inbox.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _event(self, message: mqtt.MQTTMessage) -> RawEvent:
        response = getattr(message.properties, "ResponseTopic", None) if message.properties else None
        event = raw_event(message.topic, bytes(message.payload), qos=message.qos, retain=bool(message.retain),
                          message_id=self.config.get("message_id"), response_topic=response)
        event.meta["client"] = self.client_id  # which listener process took it (shared subscriptions)
        return event

    def _deliver(self, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        events = [self._event(message) for _, message in batch]
        if not self._store(events):
            return  # stopping: nothing acknowledged, the broker delivers these again
        self.stored += len(events)
        for generation, message in batch:
            if message.qos > 0 and generation == self.generation:
                self.client.ack(message.mid, message.qos)

    def _store(self, events: list[RawEvent]) -> bool:
        """Store the batch, retrying with backoff until it is stored or the listener stops."""
        delay = 0.5
        while True:
            try:
                self.sink.accept_many(events)
                return True
            except Exception as exc:
                self.log.warning("storing %d messages failed: %s", len(events), exc)
                try:
                    self._store_each(events)
                    return True
                except StoreFailed as failure:
                    self.sink.report("error", f"cannot store messages: {failure}; retrying in {delay:g}s")
            if self.stop.wait(delay):
                return False
            delay = min(delay * 2, STORE_RETRY_MAX)

    def _store_each(self, events: list[RawEvent]) -> None:
        """One by one, so a message the database refuses cannot hold the others back: it is
        stored as its bytes instead (and quarantined by normalize with the reason)."""
        for event in events:
            first = self._try_accept(event)
            if first is not None:
                first = self._try_accept(event)  # once more: the database may just have been busy
            if first is None:
                continue
            body = event.body if event.body is not None else _as_bytes(event)
            fallback = RawEvent(idempotency_key=event.idempotency_key, body=body[:KEPT_OF_OVERSIZED],
                                content_type="application/octet-stream",
                                meta={**event.meta, "stored_as_bytes": f"{type(first).__name__}: {first}"[:500]})
            try:
                self.sink.accept(fallback)
            except Exception as exc:
                raise StoreFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc

    def _try_accept(self, event: RawEvent) -> Exception | None:
        try:
            self.sink.accept(event)
        except Exception as exc:
            return exc
        return None


def _as_bytes(event: RawEvent) -> bytes:
    import json

    return json.dumps(event.payload, ensure_ascii=False, default=str).encode("utf-8", "replace")
