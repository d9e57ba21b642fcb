"""The MQTT connector for manufacturing lines: alarms become incidents, MES requests changes.

One instance is one broker connection with its topics. It listens (a process of its
own, ``itsm-hub listen <instance>``), takes change requests over HTTP too
(``POST /api/v1/hooks/<instance>``), and publishes the state of those changes back to
the line system.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from connectors.mqtt.changes import read_change, state_message
from connectors.mqtt.client import Connection, parse_broker_url
from connectors.mqtt.listener import MqttListener
from connectors.mqtt.mapping import MAPPABLE, check_mapping, is_change, message_object, read_alarm
from connectors.mqtt.tls import TlsSetupError, setting_errors
from hub.sdk import (
    AuthenticationError,
    EventInfo,
    EventSink,
    ListenerSource,
    OutboundMessage,
    Pusher,
    PushResult,
    RawEvent,
    SkippableError,
    TicketDraft,
    WebhookRequest,
    WebhookSource,
    secret,
)
from hub.sdk.alarms import AlarmPolicySchema, alarm_draft
from hub.sdk.mapping import MappingError, split_path

MAX_REQUESTS_PER_POST = 100
SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
SIGNATURE_TOLERANCE = 300
TLS_FILES_RETRY = 30.0


def check_filter(topic: str) -> str | None:
    """Why an MQTT topic filter is invalid, or None."""
    if not topic or "\x00" in topic:
        return "empty, or contains NUL"
    parts = topic.split("/")
    for index, part in enumerate(parts):
        if "#" in part and (part != "#" or index != len(parts) - 1):
            return "'#' must be a whole last level"
        if "+" in part and part != "+":
            return "'+' must be a whole level"
    return None


class MqttConfig(AlarmPolicySchema):
    broker_url = fields.String(required=True, metadata={
        "title": "Broker URL", "description": "mqtt://host:1883, or mqtts://host:8883 for TLS. With TLS the "
        "broker's certificate is always verified, and must be issued for the host named here."})
    username = fields.String(load_default=None, allow_none=True, metadata={
        "title": "User name", "description": "Empty for an anonymous connection. Without TLS the user name and "
        "password cross the network readable: use mqtts://."})
    password = secret(load_default=None, allow_none=True, title="Password",
                      description="The broker password of the user name. Stored encrypted; never shown again.")
    tls_ca_file = fields.String(load_default=None, allow_none=True, metadata={
        "title": "CA file (TLS)", "description": "Path of a PEM file with the CA that signed the broker's "
        "certificate (or the broker's certificate itself, if self-signed). Empty: the system's trusted CAs. "
        "The same path must exist on every machine running the hub's web, worker and listener processes."})
    tls_cert_file = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Client certificate (TLS)", "description": "Path of a PEM file with the hub's client "
        "certificate, for brokers that require one (Mosquitto: require_certificate). Empty: none."})
    tls_key_file = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Client key file (TLS)", "description": "Path of the PEM file with the client certificate's "
        "private key. Empty: the key is in the certificate file."})
    tls_key_password = secret(load_default=None, allow_none=True, title="Client key password (TLS)",
                              description="For an encrypted client key. Stored encrypted; never shown again.")
    protocol = fields.String(load_default="5", validate=validate.OneOf(("5", "3.1.1")), metadata={
        "title": "MQTT version", "description": "'5' (needed for shared subscriptions and response topics) "
        "or '3.1.1'."})
    client_id = fields.String(load_default="itsm-hub-{instance}-{listener}", metadata={
        "title": "Client id", "description": "The listener's stable client id; the broker keeps its session. "
        "Placeholders: {instance}, {host}, {listener} (environment variable ITSM_HUB_LISTENER, default 1). "
        "Each listener process needs its own id."})
    topics = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100), metadata={
        "title": "Alarm topics", "description": "Topic filters with + and # wildcards, e.g. 'plant-a/+/+/alarm'."})
    change_topics = fields.List(fields.String(), load_default=list, metadata={
        "title": "Change request topics", "description": "Topic filters of MES change requests; a message with "
        "\"kind\": \"change\" on an alarm topic is one too."})
    shared_group = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Regexp(r"^[^/+#\x00]{1,64}$"), metadata={
        "title": "Shared subscription group", "description": "MQTT 5 shared subscription ($share/<group>/...): "
        "listener processes with the same group split the messages between them."})
    session_expiry = fields.Integer(load_default=7 * 86400, validate=validate.Range(0, 2**32 - 1), metadata={
        "title": "Session expiry (s)", "description": "How long the broker keeps the listener's session, and the "
        "messages published for it, while the hub is down (MQTT 5)."})
    keepalive = fields.Integer(load_default=30, validate=validate.Range(5, 3600), metadata={
        "title": "Keep-alive (s)", "description": "How soon a silent connection is noticed."})
    receive_maximum = fields.Integer(load_default=1000, validate=validate.Range(1, 65535), metadata={
        "title": "Receive maximum", "description": "Messages the broker may send before the hub acknowledges "
        "(MQTT 5); bounds the listener's memory."})
    batch_size = fields.Integer(load_default=500, validate=validate.Range(1, 5000), metadata={
        "title": "Batch size", "description": "Messages stored in one transaction at most."})
    batch_window_ms = fields.Integer(load_default=50, validate=validate.Range(0, 5000), metadata={
        "title": "Batch window (ms)", "description": "How long a batch waits for more messages."})
    mapping = fields.Dict(keys=fields.String(validate=validate.OneOf(MAPPABLE)), load_default=None, metadata={
        "title": "Field mapping", "description": "Field to a path in {topic: [...], payload: {...}} such as "
        "'topic.2' or 'payload.code', or {path, default, map, template}. Fields: " + ", ".join(MAPPABLE) + "."})
    message_id = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Message id", "description": "Path of a unique message id (e.g. 'payload.seq'). Empty: a hash of "
        "topic and payload, so identical messages count once."})
    active_states = fields.List(fields.String(), load_default=None, metadata={
        "title": "Active states", "description": "State values that raise an alarm (default active, raised, set, "
        "on, alarm, 1, true)."})
    clear_states = fields.List(fields.String(), load_default=None, metadata={
        "title": "Clear states", "description": "State values that clear it (default cleared, clear, inactive, "
        "reset, off, normal, 0, false)."})
    change_state_topic = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Change state topic", "description": "Where a change's state is published when it moves, e.g. "
        "'{site}/{line}/mes/change/state' or '{topic}/state'. Placeholders: topic, site, line, request_id, "
        "ref. A request's MQTT 5 Response Topic takes precedence. Empty: only response topics."})
    change_state_retain = fields.Boolean(load_default=False, metadata={
        "title": "Retain change states", "description": "Publish change states retained, so a line system that "
        "connects later still learns the last one."})
    initial_change_status = fields.String(load_default="submitted", validate=validate.OneOf(("submitted", "draft")),
                                          metadata={"title": "State of a new change", "description":
                                                    "'submitted' (waits for approval) or 'draft'."})
    http_auth = fields.String(load_default="token", validate=validate.OneOf(("token", "hmac")), metadata={
        "title": "HTTP authentication", "description": "For change requests posted to /api/v1/hooks/<instance>: "
        "'token' (Authorization: Bearer <secret>) or 'hmac' (X-Hub-Signature-256 over timestamp and body)."})
    http_secret = secret(load_default=None, allow_none=True, validate=validate.Length(min=16), title="HTTP secret",
                         description="At least 16 characters. Empty: no HTTP intake.")

    @pre_load
    def drop_removed_settings(self, data: Any, **_: Any) -> Any:
        """``tls_insecure`` is gone (certificates are always verified): an instance saved with
        it off still loads; one asking for it on is told what to do instead."""
        if isinstance(data, Mapping) and "tls_insecure" in data:
            data = dict(data)
            if data.pop("tls_insecure"):
                raise ValidationError({"tls_insecure": [
                    "Removed: the broker's certificate is always verified. Put the CA that signed it (or the "
                    "broker's self-signed certificate) in tls_ca_file, and leave this setting out."]})
        return data

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            broker = parse_broker_url(data.get("broker_url") or "")
        except ValueError as exc:
            errors["broker_url"] = [str(exc)]
        else:
            errors.update(setting_errors(data, tls=broker.tls))
        for name in ("topics", "change_topics"):
            bad = [f"{topic!r}: {why}" for topic in data.get(name) or [] if (why := check_filter(topic))]
            if bad:
                errors[name] = bad
        if data.get("shared_group") and data.get("protocol") == "3.1.1":
            errors["shared_group"] = ["Shared subscriptions need MQTT 5."]
        mapping_errors = check_mapping(data.get("mapping") or {})
        if mapping_errors:
            errors["mapping"] = mapping_errors
        if data.get("message_id"):
            try:
                split_path(data["message_id"])
            except MappingError as exc:
                errors["message_id"] = [str(exc)]
        if errors:
            raise ValidationError(errors)


class MqttConnector(ListenerSource, WebhookSource, Pusher):
    slug = "mqtt"
    title = "MQTT (manufacturing lines)"
    version = "1.0.0"
    description = ("Listens to machine alarms on an MQTT broker (QoS 1, persistent session, shared subscriptions) "
                   "and correlates them into incidents; takes line change requests over MQTT or HTTP and "
                   "publishes their state back.")
    config_schema = MqttConfig

    _publisher: Connection | None = None

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        return "links"  # the changes this instance opened; alarm incidents are not linked

    def check_connection(self) -> str:
        connection = Connection(self.config, "check")
        try:
            connection.open()
        finally:
            connection.close()
        return f"connected to {connection.broker} (MQTT {self.config.get('protocol', '5')})"

    def listen(self, sink: EventSink, stop: threading.Event) -> None:
        while True:
            try:
                listener = MqttListener(self.config, self.instance.slug, sink, stop, self.log)
            except TlsSetupError as exc:
                # A TLS file gone since the settings were saved (a volume not mounted yet): say
                # which, and look again, rather than end the process with a traceback.
                sink.report("error", f"{exc.message} Trying again in {TLS_FILES_RETRY:g} s.")
                if stop.wait(TLS_FILES_RETRY):
                    return
                continue
            listener.run()
            return

    # -- reading -------------------------------------------------------------------------

    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = message_object(event)
        topic = str(event.meta.get("topic") or "")
        via = str(event.meta.get("via") or "mqtt")
        if via == "http" or is_change(topic, payload, self.config.get("change_topics") or []):
            fallback = "msg-" + hashlib.sha256(event.idempotency_key.encode()).hexdigest()[:16]
            return read_change(payload, topic=topic, config=self.config, fallback_id=fallback,
                               response_topic=event.meta.get("response_topic"), via=via)
        return alarm_draft(read_alarm(topic, payload, self.config), self.config)

    # -- HTTP intake of change requests ----------------------------------------------------

    def receive(self, request: WebhookRequest) -> list[RawEvent]:
        self._authenticate(request)
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise SkippableError(f"The body is not JSON: {exc}") from None
        items = body if isinstance(body, list) else [body]
        if not items or len(items) > MAX_REQUESTS_PER_POST:
            raise SkippableError(f"Send 1 to {MAX_REQUESTS_PER_POST} change requests per post.")
        if not all(isinstance(item, dict) for item in items):
            raise SkippableError("Each change request must be a JSON object.")
        header = request.headers.get("Idempotency-Key")
        events = []
        for index, item in enumerate(items):
            if header:
                key = f"http:{header}" if len(items) == 1 else f"http:{header}#{index}"
            else:
                key = "http:sha256:" + hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
            events.append(RawEvent(idempotency_key=key, payload=item,
                                   meta={"via": "http", "remote_addr": request.remote_addr}))
        return events

    def _authenticate(self, request: WebhookRequest) -> None:
        secret_value = self.config.get("http_secret")
        if not secret_value:
            raise AuthenticationError("HTTP intake is off for this instance: set its http_secret.")
        if self.config.get("http_auth", "token") == "token":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not given or not hmac.compare_digest(given.encode(), secret_value.encode()):
                raise AuthenticationError("Missing or wrong token (Authorization: Bearer <secret>).")
            return
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "").strip()
        if not (stamp.isascii() and stamp.isdigit()) or not signature:
            raise AuthenticationError(f"Sign the request: {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} (Unix seconds).")
        if abs(request.received_at.timestamp() - int(stamp)) > SIGNATURE_TOLERANCE:
            raise AuthenticationError(f"The timestamp is more than {SIGNATURE_TOLERANCE} s from the hub's clock.")
        expected = "sha256=" + hmac.new(secret_value.encode(), stamp.encode() + b"." + request.body,
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise AuthenticationError("Bad signature.")

    # -- publishing change states ------------------------------------------------------------

    def push(self, message: OutboundMessage) -> PushResult:
        """Publish a linked change's new state (QoS 1); other changes need no message.

        The broker is reached for every delivery, so a lane waits in order while it is away.
        """
        if self._publisher is None:
            self._publisher = Connection(self.config, "push")
        self._publisher.ensure()
        external_id = message.link.external_id if message.link else None
        found = state_message(message)
        if found is None:
            return PushResult(external_id=external_id, detail="nothing to publish for this change")
        topic, body = found
        self._publisher.publish(topic, body, retain=bool(self.config.get("change_state_retain")))
        return PushResult(external_id=external_id, detail=f"published on {topic}")

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
