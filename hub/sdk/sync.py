"""Two-way sync for ITSM connectors: field rules, and the draft a remote record becomes.

A sync connector (ServiceNow, Jira, Request Tracker...) declares its default field rules
and lets admins change them per instance. Each rule pairs a hub field with a remote
field, says which way values flow, who wins when both sides changed the field since the
last sync, and how values translate. The hub's sync engine (hub.sync) applies them; a
connector only reads records and writes fields, in the remote system's own words.

Values are compared in the *remote* system's vocabulary: the hub's ``acknowledged`` and
``in_progress`` both become ServiceNow state ``2``, so comparing in the hub's words would
see a change that is not there, and sync it back and forth for ever.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as mf

from hub.sdk.connector import PollingSource, Pusher
from hub.sdk.http import HttpClient
from hub.sdk.schema import ConfigSchema
from hub.sdk.sync_fields import (
    HUB_FIELDS,
    SYNCED_FIELDS,
    field_problem,
    hub_text,
    hub_value,
    ticket_value,
    value_problem,
)
from hub.sdk.values import TicketDraft, TicketInfo
from hub.sdk.write_effects import WriteEffect, effects_from

DIRECTIONS = ("in", "out", "both")
OWNERS = ("newest", "hub", "remote")


class FieldRuleSchema(ConfigSchema):
    field = mf.String(required=True, metadata={
        "title": "Hub field", "description": "The ticket field this rule keeps in step: "
        + ", ".join(SYNCED_FIELDS) + " (docs/connectors/itsm.md)."})
    remote = mf.String(required=True, validate=validate.Regexp(r"^[A-Za-z_][\w. -]{0,99}$"),
                       metadata={"title": "Remote field", "description": "Its name in the other system."})
    direction = mf.String(load_default="both", validate=validate.OneOf(DIRECTIONS), metadata={
        "title": "Direction", "description": "in: remote to hub; out: hub to remote; both."})
    owner = mf.String(load_default="newest", validate=validate.OneOf(OWNERS), metadata={
        "title": "On conflict", "description": "When both sides changed it: the newest change wins, or one "
        "side always does. Every conflict is recorded in the ticket's audit."})
    kind = mf.String(load_default=None, allow_none=True, validate=validate.OneOf(("incident", "change")),
                     metadata={"title": "Only for", "description": "incident or change; empty for both."})
    values_in = mf.Dict(keys=mf.String(), values=mf.String(), load_default=dict, metadata={
        "title": "Remote to hub values", "description": "e.g. {\"1\": \"high\"}; unlisted values pass as they are."})
    values_out = mf.Dict(keys=mf.String(), values=mf.String(), load_default=dict, metadata={
        "title": "Hub to remote values", "description": "Defaults to the reverse of the values in."})

    @validates_schema
    def check_status_maps(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("field") == "status" and data.get("direction") != "out" and not data.get("values_in"):
            raise ValidationError("A status rule needs the remote states mapped to hub states.", "values_in")

    @validates_schema
    def check_hub_values(self, data: dict[str, Any], **_: Any) -> None:
        """The hub field exists, and each value map names hub values it can hold (names of
        groups, categories, items and users are checked against the organisation on save:
        hub.sdk.sync_settings.SyncSettings.org_references)."""
        name = str(data.get("field") or "")
        problem = field_problem(name)
        if problem:
            raise ValidationError(problem, "field")
        errors: dict[str, list[str]] = {}
        for remote, hub in (data.get("values_in") or {}).items():
            if (problem := value_problem(name, hub, data.get("kind"))) is not None:
                errors.setdefault("values_in", []).append(f"{remote!r} maps to {problem}")
        for hub in data.get("values_out") or {}:
            if hub != "*" and (problem := value_problem(name, hub, data.get("kind"))) is not None:
                errors.setdefault("values_out", []).append(problem)
        if HUB_FIELDS[name].changes_only and data.get("kind") == "incident":
            errors.setdefault("kind", []).append(f"Only changes have a {name}.")
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class FieldRule:
    field: str
    remote: str
    direction: str = "both"
    owner: str = "newest"
    kind: str | None = None
    values_in: Mapping[str, str] = dataclass_field(default_factory=dict)
    values_out: Mapping[str, str] = dataclass_field(default_factory=dict)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> FieldRule:
        return cls(field=data["field"], remote=data["remote"], direction=data.get("direction") or "both",
                   owner=data.get("owner") or "newest", kind=data.get("kind"),
                   values_in=dict(data.get("values_in") or {}), values_out=dict(data.get("values_out") or {}))

    def dump(self) -> dict[str, Any]:
        return {"field": self.field, "remote": self.remote, "direction": self.direction, "owner": self.owner,
                "kind": self.kind, "values_in": dict(self.values_in), "values_out": dict(self.values_out)}

    @property
    def reads(self) -> bool:
        return self.direction in ("in", "both")

    @property
    def writes(self) -> bool:
        return self.direction in ("out", "both")

    def applies_to(self, kind: str) -> bool:
        return self.kind is None or self.kind == kind

    def to_hub(self, remote_value: str) -> str:
        """The remote's value in the hub's words, as text (hub.sdk.sync_fields)."""
        return self.values_in.get(remote_value, remote_value)

    def hub_value(self, remote_value: str, kind: str | None = None) -> Any:
        """The remote's value as the tracker takes it (a priority as a number, a planned
        start as a datetime, None for empty); ValueError when the hub cannot hold it."""
        return hub_value(self.field, self.to_hub(remote_value), kind)

    def to_remote(self, hub_value: Any) -> str:
        text = hub_text(self.field, hub_value)
        if self.values_out:
            return self.values_out.get(text, text)
        reverse = {hub: remote for remote, hub in sorted(self.values_in.items(), reverse=True)}
        return reverse.get(text, text)


def rules_from(config: Mapping[str, Any], defaults: Iterable[FieldRule], kind: str | None = None) -> list[FieldRule]:
    """The instance's rules (``config["field_map"]``), else the connector's defaults."""
    configured = config.get("field_map")
    rules = [FieldRule.load(item) for item in configured] if configured else list(defaults)
    return [rule for rule in rules if kind is None or rule.applies_to(kind)]


def outbound_values(rules: Iterable[FieldRule], ticket: TicketInfo) -> dict[str, str]:
    """The remote fields this ticket writes, in the remote's words."""
    return {rule.remote: rule.to_remote(ticket_value(ticket, rule.field)) for rule in rules
            if rule.writes and rule.applies_to(ticket.kind)}


def values_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class RemoteComment:
    """A comment as the remote holds it; ``id`` is stable in the remote system."""

    id: str
    body: str
    visibility: str = "public"
    author: str = ""
    created_at: str = ""

    def dump(self) -> dict[str, str]:
        return {"id": self.id, "body": self.body, "visibility": self.visibility, "author": self.author,
                "created_at": self.created_at}


ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
"""The default for a sync instance's ``attachment_max_bytes``: larger remote files are
named on the ticket but not fetched."""

SHIPPED_KEPT = 5000
"""Remote attachment ids a poll remembers as fetched, so a record's next version does not
download its files again."""


@dataclass
class RemoteAttachment:
    """A file on a remote ticket; ``id`` is stable in the remote system.

    ``data`` is the content once fetched; ``refused`` says why it was not (too large).
    In a raw event the content travels base64-encoded (:meth:`dump`), so the event holds
    everything needed to apply it again.
    """

    id: str
    filename: str
    content_type: str = "application/octet-stream"
    size: int | None = None
    visibility: str = "public"
    author: str = ""
    data: bytes | None = None
    refused: str | None = None

    def dump(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "content_type": self.content_type, "size": self.size,
                "visibility": self.visibility, "author": self.author, "refused": self.refused,
                "content": base64.b64encode(self.data).decode("ascii") if self.data is not None else None}

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> RemoteAttachment:
        content = data.get("content")
        refused: str | None = str(data["refused"]) if data.get("refused") else None
        try:
            raw = base64.b64decode(str(content), validate=True) if content is not None else None
        except (binascii.Error, ValueError):
            raw, refused = None, "its content in the event is not valid base64"
        size = data.get("size")
        return cls(id=str(data.get("id") or ""), filename=str(data.get("filename") or "attachment"),
                   content_type=str(data.get("content_type") or "application/octet-stream"),
                   size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
                   visibility="internal" if data.get("visibility") == "internal" else "public",
                   author=str(data.get("author") or ""), data=raw, refused=refused)


@dataclass
class RemoteRecord:
    """One version of a remote ticket, as a sync connector read it.

    ``fields`` holds the remote's own values as text; ``version`` orders versions
    (sys_mod_count, a counter or an ETag); ``our_ref`` is the hub reference the remote
    carries when the hub made the record (its idempotent-create key).
    """

    kind: str
    external_id: str
    fields: dict[str, str]
    version: str | None = None
    updated_at: datetime | None = None
    url: str | None = None
    our_ref: str | None = None
    comments: list[RemoteComment] = dataclass_field(default_factory=list)
    attachments: list[RemoteAttachment] = dataclass_field(default_factory=list)


def draft_for(record: RemoteRecord, rules: Iterable[FieldRule]) -> TicketDraft:
    """The draft a remote record becomes: the engine updates the linked ticket field by
    field (directions, conflicts, echoes), or opens one when the record is new to the hub."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    for rule in rules:
        if rule.reads and rule.applies_to(record.kind) and rule.remote in record.fields:
            if HUB_FIELDS[rule.field].changes_only and record.kind != "change":
                continue
            try:
                values[rule.field] = rule.hub_value(record.fields[rule.remote], record.kind)
            except ValueError as exc:
                # The record still becomes a ticket; the field is left as it was, and said why.
                notes.append(f"{rule.remote} not taken for {rule.field}: {exc}")
    title = values.pop("title", None) or f"{record.kind.title()} {record.external_id}"
    status = values.pop("status", None)
    extra = {"sync": {
        "record": dict(record.fields), "version": record.version,
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "our_ref": record.our_ref, "comments": [comment.dump() for comment in record.comments],
        "attachments": list(record.attachments)}}
    return TicketDraft(action="update", kind=record.kind, title=title, description=values.pop("description", "") or "",
                       impact=values.pop("impact", None), urgency=values.pop("urgency", None),
                       category=values.pop("category", None), assignee=values.pop("assignee", None),
                       group=values.pop("group", None), status=status, external_id=record.external_id,
                       priority=values.pop("priority", None), ci=values.pop("ci", None),
                       planned_start=values.pop("planned_start", None), planned_end=values.pop("planned_end", None),
                       external_url=record.url, external_version=record.version, occurred_at=record.updated_at,
                       extra=extra, notes=notes)


class SyncConnector(PollingSource, Pusher):
    """The base of a two-way ITSM sync connector (ServiceNow, Jira, RT and third parties).

    It supplies what every one of them needs besides its own API: one HTTP client per
    connector object, made on first use by :meth:`make_client` and closed with it; the
    field rules of an instance (its ``field_map`` or the class's defaults); the answer
    timeout from a ``timeout_seconds`` setting; and a reconcile that reads everything
    again from the configured start (an empty state).
    """

    default_poll_interval = 60
    pushes_state = True  # each push sends the ticket's values as they are at delivery
    default_field_rules: ClassVar[tuple[FieldRule, ...]] = ()
    default_write_effects: ClassVar[tuple[WriteEffect, ...]] = ()
    """What the remote changes by itself when the hub writes (hub.sdk.write_effects); an
    instance's ``write_effects`` setting replaces them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._client: HttpClient | None = None

    def make_client(self) -> HttpClient:
        """A client with the remote's base URL and credentials (see :meth:`Connector.http`)."""
        raise NotImplementedError

    @property
    def client(self) -> HttpClient:
        if self._client is None:
            self._client = self.make_client()
        return self._client

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, answer) seconds: a call with no answer by then is retried later."""
        return 5.0, float(self.config.get("timeout_seconds") or 30)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        # A ``create_remote`` setting turns "keep linked records in step" into "give every
        # hub ticket a remote record too".
        return "all" if config.get("create_remote") else "links"

    def rules(self, kind: str | None = None) -> list[FieldRule]:
        return rules_from(self.config, self.default_field_rules, kind)

    def write_effects(self) -> list[WriteEffect]:
        return effects_from(self.config, self.default_write_effects)

    def reconcile_state(self, state: dict[str, Any]) -> dict[str, Any]:
        # No cursor: from the configured start (import_since), everything again; but files
        # already fetched are not downloaded again (the hub keeps each once per remote id).
        return {"attachments_shipped": list(state.get("attachments_shipped") or [])}

    # -- attachments ---------------------------------------------------------------------

    @property
    def attachment_max_bytes(self) -> int:
        return int(self.config.get("attachment_max_bytes") or ATTACHMENT_MAX_BYTES)

    @property
    def syncs_attachments(self) -> bool:
        return bool(self.config.get("sync_attachments", True))

    def ship_attachments(self, found: Iterable[RemoteAttachment], download: Callable[[RemoteAttachment], bytes],
                         shipped: list[str]) -> list[dict[str, Any]]:
        """The raw-event form of a record's files that no earlier event carried.

        ``shipped`` is the poll's list of remote ids already fetched (kept in its state as
        ``attachments_shipped``); it is extended here. A file over ``attachment_max_bytes``
        is not downloaded: it travels with its reason, so the ticket names it.
        """
        if not self.syncs_attachments:
            return []
        known = set(shipped)
        out: list[dict[str, Any]] = []
        for item in found:
            if not item.id or item.id in known:
                continue
            if item.size is not None and item.size > self.attachment_max_bytes:
                item.refused = f"larger than {self.attachment_max_bytes} bytes ({item.size})"
            else:
                item.data = download(item)
                if len(item.data) > self.attachment_max_bytes:
                    item.data, item.refused = None, f"larger than {self.attachment_max_bytes} bytes"
            known.add(item.id)
            shipped.append(item.id)
            out.append(item.dump())
        del shipped[:-SHIPPED_KEPT]
        return out


CLOCK_SKEW = timedelta(minutes=5)
"""How far the remote's clock may be behind the hub's when it dates a copy of a push."""


def earliest_copy(message: Any) -> datetime | None:
    """How old a copy of this push on the remote can be, at most: a repeated attempt looks
    for its earlier copy no further back, so the same words said again later are never
    taken for it. None when unknown."""
    queued = getattr(message, "queued_at", None)
    return queued - CLOCK_SKEW if isinstance(queued, datetime) else None


def not_before(moment: datetime | None, earliest: datetime | None) -> bool:
    """Whether a remote item dated ``moment`` may be a copy made after ``earliest`` (an
    undated one may)."""
    return earliest is None or moment is None or moment >= earliest


def outbound_file(message: Any) -> tuple[Any, str] | None:
    """The file an ``attachment`` message sends and its visibility, or None."""
    described = message.payload.get("attachment") or {}
    if message.action != "attachment" or not message.files:
        return None
    return message.files[0], "internal" if described.get("visibility") == "internal" else "public"


class AttachmentSettings(ConfigSchema):
    """The attachment settings a sync connector's schema inherits."""

    sync_attachments = mf.Boolean(load_default=True, metadata={
        "title": "Sync attachments", "description": "Copy files both ways: remote files onto the hub ticket, "
        "hub files onto the remote record (internal ones only where the remote can keep them internal)."})
    attachment_max_bytes = mf.Integer(load_default=ATTACHMENT_MAX_BYTES, validate=validate.Range(min=1), metadata={
        "title": "Largest attachment fetched (bytes)", "description": "Larger remote files are named on the "
        "ticket but not downloaded. The hub's ATTACHMENT_MAX_BYTES also applies."})


# -- who speaks to the requester -----------------------------------------------------------

CONVERSATIONS = ("auto", "remote", "hub")


class ConversationSettings(ConfigSchema):
    """The setting a sync connector's schema inherits: who mails a synced ticket's requester.

    Both systems mail requesters (RT's scrips, ServiceNow's notifications, JSM's customer
    mail; the hub's notify plugin), so one of them must stay quiet, or the requester hears
    everything twice. The other one's mail is suppressed (hub.delivery.notifications) or never
    caused (the remote record is made without the requester as its requester).
    """

    requester_conversation = mf.String(load_default="auto", validate=validate.OneOf(CONVERSATIONS), metadata={
        "title": "Who speaks to the requester", "description": "auto: the system the ticket came from (a "
        "ticket from this remote: the remote mails the requester and the hub does not; a hub ticket: the hub "
        "does, and the remote record is made without the requester as its requester). remote: always this "
        "remote. hub: always the hub (turn the remote's own mail to requesters off)."})


def remote_speaks(config: Mapping[str, Any], *, came_from_remote: bool) -> bool:
    """Whether the remote, not the hub, speaks to the requester of a ticket it is linked to."""
    mode = str(config.get("requester_conversation") or "auto")
    return mode == "remote" or (mode == "auto" and came_from_remote)


def remote_visibility(comment: Mapping[str, Any]) -> str:
    """How a hub comment is written to a remote: ``public`` (a reply) or ``internal`` (a note).

    A requester's own words (their mail reply, their note on the status page) go as a note:
    written as a reply by the hub's user, the remote would mail the requester what they
    wrote themselves.
    """
    if comment.get("author_type") == "requester":
        return "internal"
    return "internal" if comment.get("visibility") == "internal" else "public"
