"""Plain values that cross the line between the hub and its plugins and connectors.

Plugins and connectors never see ORM rows: they get these snapshots, and change the
tracker through hub.sdk.tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Moved to their own modules to keep this one readable; still importable from here.
from hub.sdk.people import DepartmentInfo as DepartmentInfo
from hub.sdk.people import GroupInfo as GroupInfo
from hub.sdk.people import NotificationInfo as NotificationInfo
from hub.sdk.people import PersonInfo as PersonInfo
from hub.sdk.reports import ServicePoint as ServicePoint
from hub.sdk.reports import TicketFigures as TicketFigures
from hub.sdk.reports import TrendFigures as TrendFigures

TITLE_MAX = 500
"""Longest ticket title; longer titles from sources are cut with an ellipsis."""

DRAFT_ACTIONS = ("open", "comment", "update", "clear", "transition", "ignore")


@dataclass
class RawEvent:
    """What a source delivered, as the pipeline stores it before reading it.

    ``idempotency_key`` must be the same every time the source re-delivers the same
    event (a message id, a webhook delivery id, a remote record id plus version): the
    pipeline keeps one event per key and instance, so a re-delivery changes nothing.
    """

    idempotency_key: str
    payload: dict[str, Any] | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventInfo:
    """A stored inbound event, as normalize and enrich hooks see it."""

    id: int
    instance_id: int
    idempotency_key: str
    received_at: datetime
    payload: dict[str, Any] | None
    body: bytes | None
    content_type: str
    meta: dict[str, Any]


@dataclass
class IngestResult:
    """What became of one event handed to the pipeline (``hub.sdk.hub_services.ingest``)."""

    event_id: int
    status: str
    """``applied``, ``ignored``, ``quarantined`` or ``received`` (stored, not yet read)."""
    action: str | None = None
    """What the event did: ``created``, ``commented``, ``occurrence``, ``updated``,
    ``transitioned``, ``reopened``, ``resolved``, ``noted``, ``ignored`` or ``vetoed``."""
    ticket_ref: str | None = None
    """The ticket it made or changed, if any."""
    reason: str | None = None
    """Why it was ignored or quarantined."""
    duplicate: bool = False
    """The key was stored before: this is the earlier outcome, and nothing changed."""

    def as_dict(self) -> dict[str, Any]:
        """The result as the API shows it (``ticket`` for the reference)."""
        return {"event_id": self.event_id, "status": self.status, "action": self.action,
                "ticket": self.ticket_ref, "reason": self.reason, "duplicate": self.duplicate}


@dataclass(frozen=True)
class PublicCredential:
    """Something of an instance that the remote side's admin must trust or install, such as
    the certificate the hub presents: shown on the instance's admin page with its
    ``facts`` (thumbprints, subject, expiry) and offered for download. Never a secret."""

    name: str
    """URL-safe, unique per instance: the download is ``<name>.pem`` (and ``.der``)."""
    title: str
    description: str
    pem: str
    """The PEM text (a certificate)."""
    der: bytes
    """The same in DER, which many servers want in their trust folder."""
    facts: tuple[tuple[str, str], ...] = ()
    """(label, value) pairs to compare before trusting, e.g. ("SHA-1 thumbprint", "AB:CD:...")."""


@dataclass(frozen=True)
class InstanceInfo:
    """A connector instance without its secrets."""

    id: int
    slug: str
    name: str
    connector: str
    enabled: bool
    department: str | None
    config: dict[str, Any]


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass
class TicketDraft:
    """A connector's reading of one event: which ticket it concerns and what to do.

    ``action`` says what the event means:

    - ``open``: a problem or change request; makes a ticket, or an occurrence of the
      open ticket with the same correlation key (last seen within ``correlation_window``,
      when given);
    - ``comment``: a reply or note on an existing ticket (``ticket_ref`` or
      ``external_id`` names it);
    - ``update``: new field values for a linked ticket (two-way sync);
    - ``clear``: the condition behind an alarm ended (``clear_policy`` says what to do);
    - ``transition``: move the named ticket to ``status``;
    - ``ignore``: nothing to do; ``reason`` says why (an auto-reply, a bounce, ...).
    """

    action: str = "open"
    kind: str = "incident"
    title: str = ""
    description: str = ""
    impact: str | None = None
    urgency: str | None = None
    priority: int | None = None
    requester_name: str | None = None
    requester_email: str | None = None
    requester_account: str | None = None
    """The requester's account in the source system (an RT user name, a Jira account id, a
    ServiceNow user's sys_id) when no address is known: the hub knows them as that customer."""
    language: str | None = None
    """The language the requester wrote in (``es``; a web form records the one it was filled
    in). Mails and the status page speak it when the hub does (HUB_LANGUAGES); else None."""
    department: str | None = None
    category: str | None = None
    ci: str | None = None
    """Configuration item key, e.g. ``plant-a/line3/filler-2``; made if unknown."""
    ci_name: str | None = None
    ci_kind: str | None = None
    group: str | None = None
    assignee: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    change_type: str | None = None
    risk: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    targets: list[str] = field(default_factory=list)
    """For a change: where it is rolled out (configuration items' keys or names, or places in
    words: ``["plant-a/line-1", "Line 2", "Room 2.14"]``); the new change gets one task per
    target (an MES's line-change request for twelve lines makes one change with twelve tasks).
    Ignored for other kinds and for events that do not make a ticket."""
    status: str | None = None
    ticket_ref: str | None = None
    """Attach to this ticket (an email's ``[INC-000042]`` tag)."""
    thread_ids: list[str] = field(default_factory=list)
    """Message ids this event replies to, matched against ids the hub has seen."""
    thread_key: str | None = None
    """This event's own message id: later replies naming it land on the same ticket."""
    require_participant: bool = False
    """Accept ``ticket_ref`` only if ``requester_email`` is a participant of that ticket."""
    external_id: str | None = None
    """The record's id in the source system; links the ticket to it."""
    external_url: str | None = None
    external_version: str | None = None
    correlation_key: str | None = None
    """Repeats with the same key attach to one open ticket as occurrences. With a key, the
    draft's own ``external_id`` does not name the ticket: the key decides (a new ticket is
    linked to ``external_id``; a repeat is counted and adds no link)."""
    correlation_window: timedelta | float | None = None
    """How long after the keyed ticket's last sighting a repeat still counts on it, as a
    timedelta or seconds (``timedelta(minutes=30)``: "within 30 minutes of the last
    sighting"); a later repeat opens a new ticket, which then holds the key. None: no limit."""
    reopen_on_repeat: bool = True
    """When the keyed ticket is resolved: reopen it (True) or open a new one (False)."""
    clear_policy: str = "resolve"
    """For ``clear``: ``resolve`` the ticket or add a ``note``."""
    flap_threshold: int | None = None
    """Mark the keyed ticket flapping when it reopened this many times within
    ``flap_minutes``; a flapping key reopens its last ticket even under a "new ticket
    after a clear" policy, so an alarm that comes and goes makes one incident, not a storm."""
    flap_minutes: float = 10.0
    comment: str | None = None
    comment_visibility: str = "public"
    occurred_at: datetime | None = None
    reason: str | None = None
    sender_check: str | None = None
    """Whether the person a reply speaks for is proven (a mail's DMARC, DKIM or SPF verdict):
    ``pass``, ``fail`` or ``none``; None where the connector does not check. A reply whose
    check failed is held for an agent's review on any ticket, and one not proven is held
    rather than reopen a resolved ticket: an internal note, the tag ``needs-review``, an
    audit entry saying why, the ticket left as it was."""
    sender_check_note: str | None = None
    """What decided ``sender_check``, for the audit and the event's reason."""
    attachments: list[Attachment] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """Connector-specific facts other hooks may read (alarm severity, mail headers)."""
    notes: list[str] = field(default_factory=list)
    """Sentences for the audit of the ticket this draft opens: why a plugin set or left a
    field (a routing rule's group that no longer exists). Not shown to the requester."""

    def __post_init__(self) -> None:
        if len(self.title) > TITLE_MAX:
            self.title = self.title[: TITLE_MAX - 1] + "\u2026"


@dataclass(frozen=True)
class TicketInfo:
    """A read-only snapshot of a ticket."""

    id: int
    ref: str
    kind: str
    title: str
    description: str
    status: str
    impact: str
    urgency: str
    priority: int
    department: str | None
    category: str | None
    ci: str | None
    group: str | None
    assignee: str | None
    requester_name: str | None
    requester_email: str | None
    source: str
    source_instance_id: int | None
    correlation_key: str | None
    occurrence_count: int
    tags: list[str]
    custom_fields: dict[str, Any]
    change_type: str | None
    risk: str | None
    planned_start: datetime | None
    planned_end: datetime | None
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None
    resolve_due_at: datetime | None
    version: int
    flapping: bool = False
    """The keyed problem comes and goes (see ``TicketDraft.flap_threshold``); notifications
    of its automatic reopenings and clears are damped while it is set."""
    duplicate_of: str | None = None
    """The reference of the main ticket this one was merged into as a duplicate (it is closed)."""
    language: str | None = None
    """The requester's language (one of HUB_LANGUAGES), or None: speak the hub's default."""


@dataclass(frozen=True)
class CustomFieldInfo:
    """A custom field an admin defined (``itsm-hub fields``, Admin > Custom fields)."""

    name: str
    """The key in ``custom_fields`` (``cabin_number``) and in mappings (``custom:cabin_number``)."""
    label: str
    type: str
    """``text``, ``number``, ``choice``, ``date`` (``YYYY-MM-DD``) or ``ci`` (an item's key)."""
    required: bool = False
    help: str = ""
    options: tuple[str, ...] = ()
    """The values a ``choice`` field takes."""
    department: str | None = None
    """The department (slug) whose tickets have it; None for every department's."""
    kind: str | None = None
    """``incident`` or ``change``; None for both."""
    position: int = 0
    id: int = 0


@dataclass(frozen=True)
class CommentInfo:
    id: int
    ticket_id: int
    body: str
    visibility: str
    author_type: str
    author_name: str
    origin_instance_id: int | None
    created_at: datetime
    public_author: str = ""
    """The name a requester sees for the author (a display name or the team, never a login)."""


@dataclass(frozen=True)
class AttachmentInfo:
    """A file kept on a ticket (its content stays in the hub; a push gets it as
    ``OutboundMessage.files``)."""

    id: int
    ticket_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    visibility: str
    comment_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class LinkInfo:
    """A ticket's record in another system, as a connector's push sees it."""

    id: int
    ticket_id: int
    instance_id: int
    external_id: str
    url: str | None
    sync_version: int
    remote_version: str | None
    last_synced_hash: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class OutboundMessage:
    """One delivery a connector's push must make.

    ``idempotency_key`` is stable across retries; send it to the remote where its API
    takes one, so a retry after a timeout never acts twice.
    """

    id: int
    action: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int
    ticket: TicketInfo | None
    link: LinkInfo | None
    files: list[Attachment] = field(default_factory=list)
    """The content of the file an ``attachment`` message sends (read at delivery, so the
    outbox row holds only its description)."""
    queued_at: datetime | None = None
    """When the change was queued: no copy of it on the remote can be older (see
    ``hub.sdk.sync.earliest_copy``)."""


@dataclass
class PushResult:
    """What a push achieved, so the hub can link or update the external record."""

    external_id: str | None = None
    url: str | None = None
    remote_version: str | None = None
    synced_hash: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None

