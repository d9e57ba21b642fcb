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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from marshmallow import fields as mf
from marshmallow import validate

from hub.sdk.connector import PollingSource, Pusher
from hub.sdk.http import HttpClient
from hub.sdk.schema import ConfigSchema
from hub.sdk.sync_fields import custom_name, hub_field
from hub.sdk.sync_rules import (  # noqa: F401 - the rules are part of this module's API
    DIRECTIONS,
    OWNERS,
    FieldRule,
    FieldRuleSchema,
    outbound_values,
    rules_from,
    values_hash,
)
from hub.sdk.values import TicketDraft
from hub.sdk.write_effects import WriteEffect, effects_from


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
            if hub_field(rule.field).changes_only and record.kind != "change":
                continue
            try:
                values[rule.field] = rule.hub_value(record.fields[rule.remote], record.kind)
            except ValueError as exc:
                # The record still becomes a ticket; the field is left as it was, and said why.
                notes.append(f"{rule.remote} not taken for {rule.field}: {exc}")
    custom = {name: values.pop(key) for key in list(values) if (name := custom_name(key)) is not None}
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
                       extra=extra, notes=notes, custom_fields=custom)


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
