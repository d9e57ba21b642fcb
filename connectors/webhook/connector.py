"""The generic webhook connector: any system that can POST JSON opens tickets.

Each instance has its own secret, its own field mapping and its own idempotency rule, so
a monitoring tool, a shop system and a facilities app can each post in their own shape.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from connectors.webhook.signing import sign, verified_signature
from hub.sdk import (
    AuthenticationError,
    ConfigSchema,
    EventInfo,
    FatalError,
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
from hub.sdk.mapping import MISSING, MappingError, apply_mapping, get_path, render, validate_spec
from hub.sdk.safe_json import parse_json
from hub.sdk.values import DRAFT_ACTIONS

MAPPABLE = (
    "title", "description", "impact", "urgency", "priority", "requester_name", "requester_email", "category",
    "ci", "tags", "external_id", "external_url", "action", "status", "kind", "comment", "change_type", "risk",
    "targets",
)
#: ``custom:<name>`` fills in the ticket's custom field ``<name>`` (Admin > Custom fields).
CUSTOM_TARGET = re.compile(r"^custom:[a-z][a-z0-9_]{0,39}$")
DEFAULT_MAPPING = {name: name for name in MAPPABLE} | {
    "requester_name": "requester.name", "requester_email": "requester.email", "external_id": "id"}
LEVELS = ("low", "medium", "high")
MAX_EVENTS_PER_REQUEST = 500
MAX_BULK_EVENTS = 10_000
MAX_TIMESTAMP_DIGITS = 12
#: As many tasks as one request may make (hub.tracker.change_tasks.MAX_TARGETS).
MAX_TARGETS = 500


def mappable(key: str) -> bool:
    """A mapping's target: a ticket field, or ``custom:<name>``; raises ValidationError otherwise."""
    if key in MAPPABLE or CUSTOM_TARGET.match(key):
        return True
    raise ValidationError(f"Must be one of: {', '.join(MAPPABLE)}, or custom:<field name>.")


class WebhookConfig(ConfigSchema):
    auth = fields.String(load_default="hmac", validate=validate.OneOf(("hmac", "token")), metadata={
        "title": "Authentication", "description": "'hmac': senders sign each post with the secret and a "
        "timestamp; 'token': senders send the secret as a bearer token."})
    secret = secret(required=True, validate=validate.Length(min=16), title="Shared secret",
                    description="At least 16 characters. The HMAC key, or the token senders present.")
    signature_header = fields.String(load_default="X-Hub-Signature-256", metadata={
        "title": "Signature header", "description": "Header carrying 'sha256=<hex>'."})
    timestamp_header = fields.String(load_default="X-Hub-Timestamp", metadata={
        "title": "Timestamp header", "description": "Header carrying the Unix time the sender signed at."})
    tolerance = fields.Integer(load_default=300, validate=validate.Range(10, 3600), metadata={
        "title": "Replay window (s)", "description": "Signed posts older or newer than this are refused."})
    kind = fields.String(load_default="incident", validate=validate.OneOf(("incident", "change")), metadata={
        "title": "Ticket kind", "description": "What the posts open, unless the mapping reads 'kind'."})
    idempotency_field = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Idempotency field", "description": "Path of the field that identifies an event (e.g. "
        "'delivery.id'). Without it the Idempotency-Key header is used, else the body's hash."})
    mapping = fields.Dict(keys=fields.String(validate=lambda key: mappable(key)), load_default=None, metadata={
        "title": "Field mapping", "description": "Ticket field to a path in the JSON, or to "
        "{path, default, map}. Empty uses the fields' own names. custom:<name> fills in a custom field "
        "(custom:lot); a value the field cannot hold is left out and the ticket's history says why."})
    push_url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"}, require_tld=False, metadata={
        "title": "Push URL", "description": "Where ticket changes are posted back (signed like incoming posts). "
        "Empty: this instance only receives."})
    push_scope = fields.String(load_default="links", validate=validate.OneOf(("links", "all")), metadata={
        "title": "Push scope", "description": "'links': changes of tickets this instance opened; 'all': every "
        "ticket change in the hub."})
    respond = fields.String(load_default="ticket", validate=validate.OneOf(("ticket", "accepted")), metadata={
        "title": "Answer", "description": "'ticket': read each post at once and answer 201 with the ticket; "
        "'accepted': answer 202 as soon as the post is stored and read it in a worker (for busy sources)."})
    dedup_key = fields.String(load_default=None, allow_none=True, metadata={
        "title": "Dedup key", "description": "Template of paths, e.g. '{labels.alertname}/{labels.instance}': "
        "posts with the same key count on one open ticket."})

    @validates_schema
    def check_mapping(self, data: dict[str, Any], **_: Any) -> None:
        for name, spec in (data.get("mapping") or {}).items():
            try:
                validate_spec(spec)
            except MappingError as exc:
                raise ValidationError({"mapping": {name: [str(exc)]}}) from None


class WebhookConnector(WebhookSource, Pusher):
    slug = "webhook"
    title = "Webhook"
    version = "1.0.0"
    description = ("Receives JSON posts signed with HMAC-SHA256 (or carrying a token) and maps them to tickets; "
                   "optionally posts ticket changes back.")
    config_schema = WebhookConfig

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        return str(config.get("push_scope") or "links") if config.get("push_url") else "none"

    def push(self, message: OutboundMessage) -> PushResult:
        """Post the change, signed, with the delivery's Idempotency-Key for the receiver to dedupe."""
        if not self.config.get("push_url"):
            raise FatalError("This instance has no push_url.")
        ticket = message.ticket
        body = {
            **message.payload, "event": message.action, "delivery": message.idempotency_key,
            "ticket": None if ticket is None else {
                "ref": ticket.ref, "kind": ticket.kind, "title": ticket.title, "status": ticket.status,
                "priority": ticket.priority, "impact": ticket.impact, "urgency": ticket.urgency,
                "updated_at": ticket.updated_at.isoformat(),
                "external_id": message.link.external_id if message.link else None},
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        stamp, signature = sign(self.config["secret"], raw)
        if self._client is None:
            self._client = self.http(retries=0)
        self._client.post(self.config["push_url"], data=raw, headers={
            "Content-Type": "application/json", "Idempotency-Key": message.idempotency_key,
            self.config["timestamp_header"]: stamp, self.config["signature_header"]: signature})
        return PushResult(external_id=message.link.external_id if message.link else None, detail="posted")

    _client: Any = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def defers_reading(self) -> bool:
        return bool(self.config.get("respond") == "accepted")

    def receive(self, request: WebhookRequest) -> list[RawEvent]:
        signature = self._authenticate(request)
        if request.content_type.split(";", 1)[0].strip() == "application/x-ndjson":
            items = self._ndjson(request.body)
        else:
            try:
                body = parse_json(request.body.decode("utf-8"))
            except ValueError as exc:  # also bad UTF-8, and nesting or numbers past the limits
                raise SkippableError(f"The body is not JSON: {exc}") from None
            items = body if isinstance(body, list) else [body]
            if not items or len(items) > MAX_EVENTS_PER_REQUEST:
                raise SkippableError(f"Send 1 to {MAX_EVENTS_PER_REQUEST} events per request "
                                     "(or NDJSON to /bulk for more).")
        if not all(isinstance(item, dict) for item in items):
            raise SkippableError("Each event must be a JSON object.")
        header_key = request.headers.get("Idempotency-Key")
        events = []
        for index, item in enumerate(items):
            key = self._idempotency_key(item, header_key, index, len(items))
            events.append(RawEvent(idempotency_key=key, payload=item, meta={"remote_addr": request.remote_addr}))
        if signature is not None and self.services is not None:
            # Keyed on the HMAC the hub computed, not on the header as sent: a header with
            # other spacing around the same signature is the same signature.
            digest = hashlib.sha256(signature.encode()).hexdigest()
            if self.services.is_replay(digest, _keys_of(events), self.config["tolerance"]):
                raise AuthenticationError("Replayed request: this signature was already used for another event.")
        return events

    @staticmethod
    def _ndjson(body: bytes) -> list[Any]:
        """One JSON object per line; the whole batch is refused, naming the line, if one is bad."""
        lines = [line for line in body.split(b"\n") if line.strip()]
        if not lines or len(lines) > MAX_BULK_EVENTS:
            raise SkippableError(f"Send 1 to {MAX_BULK_EVENTS} lines of NDJSON.")
        items = []
        for number, line in enumerate(lines, start=1):
            try:
                items.append(parse_json(line.decode("utf-8")))
            except ValueError as exc:
                raise SkippableError(f"Line {number} is not JSON: {exc}") from None
        return items

    def _authenticate(self, request: WebhookRequest) -> str | None:
        """Check the token or the signature; returns the signature the hub computed (hmac)."""
        if self.config["auth"] == "token":
            given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or \
                request.headers.get("X-Hub-Token", "")
            if not given or not hmac.compare_digest(given.encode(), self.config["secret"].encode()):
                raise AuthenticationError("Missing or wrong token.")
            return None
        stamp = request.headers.get(self.config["timestamp_header"], "")
        signature = request.headers.get(self.config["signature_header"], "")
        if not stamp or not signature:
            raise AuthenticationError(f"Sign the request: {self.config['signature_header']} and "
                                      f"{self.config['timestamp_header']} are required.")
        # A Unix time in seconds has 10 digits until the year 2286; a longer one is no time.
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS):
            raise AuthenticationError(f"{self.config['timestamp_header']} must be a Unix time in seconds.")
        skew = abs(request.received_at.timestamp() - int(stamp))
        if skew > self.config["tolerance"]:
            raise AuthenticationError(f"The signature's timestamp is {int(skew)} s away from the hub's clock; "
                                      f"the window is {self.config['tolerance']} s.")
        verified = verified_signature(self.config["secret"], request.body, stamp, signature)
        if verified is None:
            raise AuthenticationError("Bad signature.")
        return verified

    def _idempotency_key(self, item: dict[str, Any], header_key: str | None, index: int, count: int) -> str:
        path = self.config.get("idempotency_field")
        if path:
            value = get_path(item, path)
            if value is MISSING or value in (None, "") or isinstance(value, dict | list):
                raise SkippableError(f"The idempotency field {path!r} is missing from an event.")
            return f"field:{value}"
        if header_key:
            return f"header:{header_key}" if count == 1 else f"header:{header_key}#{index}"
        return "sha256:" + hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()

    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = event.payload or {}
        mapping = self.config.get("mapping") or DEFAULT_MAPPING
        values = apply_mapping(mapping, payload)
        custom = {key.removeprefix("custom:"): values.pop(key) for key in list(values) if key.startswith("custom:")}
        problems = []
        for level in ("impact", "urgency"):
            if level in values and values[level] not in LEVELS:
                problems.append(f"{level} {values[level]!r} is not low, medium or high (add a value map)")
        action = values.pop("action", "open")
        if action not in DRAFT_ACTIONS:
            problems.append(f"action {action!r} is not one of {', '.join(DRAFT_ACTIONS)}")
        kind = values.pop("kind", self.config["kind"])
        if kind not in ("incident", "change"):
            problems.append(f"kind {kind!r} is not incident or change")
        for text in ("title", "description", "comment", "requester_name", "requester_email", "external_id"):
            if text in values and not isinstance(values[text], str | int | float):
                problems.append(f"{text} must be text")
            elif text in values:
                values[text] = str(values[text])
        tags = values.get("tags", [])
        if not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
            problems.append("tags must be a list of text")
        if kind == "change":
            problems.extend(_targets(values))
        else:  # only a change has tasks; an incident's payload may use the name for something else
            values.pop("targets", None)
        if action == "open" and not values.get("title"):
            problems.append("no title (map one, or give it a default)")
        if problems:
            raise SkippableError("; ".join(problems))
        draft = TicketDraft(action=action, kind=kind, custom_fields=custom, **values)
        if self.config.get("dedup_key"):
            try:
                draft.correlation_key = render(self.config["dedup_key"], payload)
            except MappingError as exc:
                raise SkippableError(f"dedup key: {exc}") from None
        return draft


def _targets(values: dict[str, Any]) -> list[str]:
    """A change's targets (an MES's lines): a list of text, or one text as one target."""
    if "targets" not in values:
        return []
    targets = values["targets"]
    if isinstance(targets, str | int | float) and not isinstance(targets, bool):
        targets = [targets]
    if not (isinstance(targets, list) and all(isinstance(t, str | int | float) and not isinstance(t, bool)
                                              for t in targets)):
        return ["targets must be a list of text (configuration item keys or names)"]
    if len(targets) > MAX_TARGETS:
        return [f"at most {MAX_TARGETS} targets in one change"]
    values["targets"] = [str(target) for target in targets]
    return []


def _keys_of(events: list[RawEvent]) -> str:
    """The events' keys as one value for the replay guard, whole (hashed when long): two
    requests whose keys differ only past a cut-off would otherwise look the same."""
    keys = "|".join(event.idempotency_key for event in events)
    return keys if len(keys) <= 255 else "sha256:" + hashlib.sha256(keys.encode()).hexdigest()
