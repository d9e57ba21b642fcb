"""The OPC UA Alarms & Conditions connector: a server's conditions become incidents.

The listener subscribes to the server's events (EventId, ConditionId, SourceName,
Severity, Message, ActiveState, AckedState, Retain), calls ConditionRefresh after every
(re)connect, and stores each condition event before taking the next. The alarm policy
(dedup key, clear, reopen, flapping, severity, machines) is the MQTT connector's.
Optionally, acknowledging the incident in the hub acknowledges the condition on the
server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from connectors.opcua.ack import acknowledge_condition, check_reachable, open_session
from connectors.opcua.conditions import ConditionTracker, condition_of_link, raw_condition_event, read_condition
from connectors.opcua.security import ClientSecurity
from connectors.opcua.security_settings import OpcUaSecuritySchema, application_credentials
from connectors.opcua.uaclient import ConditionEvent, stream_conditions
from hub.sdk import (
    EventInfo,
    EventSink,
    ListenerSource,
    OutboundMessage,
    PublicCredential,
    Pusher,
    PushResult,
    RawEvent,
    TicketDraft,
    secret,
)
from hub.sdk.alarms import AlarmPolicySchema

STORE_RETRY_MAX = 30.0


class OpcUaConfig(AlarmPolicySchema, OpcUaSecuritySchema):
    endpoint_url = fields.String(required=True, validate=validate.Regexp(r"^opc\.tcp://[^/\s:]+(:\d+)?(/\S*)?$",
                                                                         error="Use opc.tcp://host:port/path."),
                                 metadata={"title": "Endpoint URL", "description": "The server's endpoint, "
                                           "e.g. opc.tcp://plc-line3:4840/."})
    username = fields.String(load_default=None, allow_none=True, metadata={
        "title": "User name", "description": "Empty for an anonymous session."})
    password = secret(load_default=None, allow_none=True, title="Password", description="The user's password.")
    source_node = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Event source", "description": "NodeId whose events to subscribe to (e.g. ns=2;s=Line3). "
        "Empty: the Server object, which sees every condition."})
    site = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Site", "description": "Site name for the templates ({site})."})
    line = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Line", "description": "Line name for the templates ({line})."})
    machines = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict, metadata={
        "title": "Machines", "description": "SourceName to machine name ({machine}); unlisted sources use "
        "their SourceName."})
    dedup_key = fields.String(load_default="{condition_id}", metadata={
        "title": "Dedup key", "description": "Template: events with the same key count on one open incident. "
        "Fields: condition_id, source, machine, site, line."})
    ci_key = fields.String(load_default="{machine}", metadata={
        "title": "Configuration item", "description": "Template of the machine's configuration item key, e.g. "
        "'{site}/{line}/{machine}'. Empty: none."})
    title = fields.String(load_default="{text} on {machine}", metadata={
        "title": "Incident title", "description": "Template of the incident title ({text} is the Message)."})
    acknowledge_on_server = fields.Boolean(load_default=False, metadata={
        "title": "Acknowledge on the server", "description": "When the incident is acknowledged in the hub, "
        "acknowledge the condition on the server too."})
    acknowledge_states = fields.List(fields.String(), load_default=lambda: ["acknowledged"], metadata={
        "title": "Acknowledging states", "description": "Incident states that count as acknowledged."})
    acknowledge_comment = fields.String(load_default="Acknowledged in itsm-hub as {ref}.", metadata={
        "title": "Acknowledge comment", "description": "The comment sent with the acknowledgement ({ref})."})
    publishing_interval = fields.Integer(load_default=500, validate=validate.Range(50, 60_000), metadata={
        "title": "Publishing interval (ms)", "description": "How often the server sends what happened."})
    reconnect_max = fields.Integer(load_default=30, validate=validate.Range(1, 600), metadata={
        "title": "Reconnect backoff limit (s)", "description": "The longest wait between connection attempts."})

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("source_node"):
            from asyncua import ua

            try:
                ua.NodeId.from_string(data["source_node"])
            except Exception:
                raise ValidationError({"source_node": ["Not a NodeId (e.g. ns=2;s=Line3 or i=2253)."]}) from None
        if data.get("password") and not data.get("username"):
            raise ValidationError({"password": ["A password needs a user name."]})


class OpcUaConnector(ListenerSource, Pusher):
    slug = "opcua"
    title = "OPC UA Alarms & Conditions"
    version = "1.0.0"
    description = ("Subscribes to an OPC UA server's alarms and conditions (ConditionRefresh on every connect) and "
                   "correlates them into incidents; can acknowledge conditions when their incident is acknowledged.")
    config_schema = OpcUaConfig

    @classmethod
    def public_credentials(cls, config: Mapping[str, Any]) -> list[PublicCredential]:
        """The application certificate, for the server's admin to trust."""
        return application_credentials(config)

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        return "links" if config.get("acknowledge_on_server") else "none"

    def _credentials(self) -> dict[str, Any]:
        security = ClientSecurity.from_config(self.config)
        if security.login != "username":
            return {"username": None, "password": None, "security": security}
        return {"username": self.config.get("username") or None, "password": self.config.get("password") or None,
                "security": security}

    def check_connection(self) -> str:
        credentials = self._credentials()
        open_session(self.config["endpoint_url"], **credentials)
        security: ClientSecurity = credentials["security"]
        return f"session opened on {self.config['endpoint_url']} ({security.describe()}, {security.login} login)"

    # -- listening ---------------------------------------------------------------------

    def listen(self, sink: EventSink, stop: threading.Event) -> None:
        asyncio.run(self._listen(sink, stop))

    async def _listen(self, sink: EventSink, stop: threading.Event) -> None:
        stopping = asyncio.Event()
        tracker = ConditionTracker()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.1)
            stopping.set()

        async def on_event(event: ConditionEvent) -> None:
            raw = raw_condition_event(event, tracker.classify(event))
            await asyncio.to_thread(self._store, sink, raw, stop)

        def on_state(state: str, detail: str) -> None:
            try:
                sink.report(state, detail)
            except Exception:
                self.log.exception("could not record the connection state")

        watcher = asyncio.ensure_future(watch())
        try:
            await stream_conditions(
                self.config["endpoint_url"], source_node=self.config.get("source_node") or None,
                on_event=on_event, stop=stopping, on_state=on_state, reconnect_max=self.config["reconnect_max"],
                publishing_interval=self.config["publishing_interval"], **self._credentials())
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    def _store(self, sink: EventSink, raw: RawEvent, stop: threading.Event) -> None:
        """Store before the stream takes the next event; retry while the database is away."""
        delay = 0.5
        while True:
            try:
                sink.accept(raw)
                return
            except Exception as exc:
                self.log.warning("storing condition event %s failed: %s", raw.idempotency_key, exc)
                sink.report("error", f"cannot store condition events: {exc}; retrying in {delay:g}s")
            if stop.wait(delay):
                return  # what was not stored comes back with the next ConditionRefresh, if still retained
            delay = min(delay * 2, STORE_RETRY_MAX)

    def normalize(self, event: EventInfo) -> TicketDraft:
        return read_condition(event.payload or {}, self.config)

    # -- acknowledging on the server -----------------------------------------------------

    def push(self, message: OutboundMessage) -> PushResult:
        """Acknowledge the condition of a linked incident that moved to an acknowledging state.

        Other changes need nothing on the server, but the server must be reachable, so the
        deliveries of one incident keep their order while it is not.
        """
        url = self.config["endpoint_url"]
        link, ticket = message.link, message.ticket
        external_id = link.external_id if link else None
        wanted = self.config.get("acknowledge_states") or ["acknowledged"]
        if message.action != "transition" or message.payload.get("new") not in wanted or not link or not ticket:
            check_reachable(url)
            return PushResult(external_id=external_id, detail="nothing to do on the server")
        condition_id, first_event = condition_of_link(link.external_id)
        comment = str(self.config.get("acknowledge_comment") or "").replace("{ref}", ticket.ref)
        detail = acknowledge_condition(url, condition_id, first_event, comment, **self._credentials())
        return PushResult(external_id=external_id, detail=detail)
