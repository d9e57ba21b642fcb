"""A Request Tracker 5 REST2 double: tickets, their transactions and attachments, queues.

The HTTP surface is in ``rt_http``; TicketSQL in ``rt_query``. Documented behaviours
implemented, with their source (RT's own POD in lib/RT/REST2.pm and its tests in
t/rest2/*.t, bestpractical/rt on GitHub; docs.bestpractical.com carries the same POD):

* ``Authorization: token <t>``, Basic auth, or ``?token=``; otherwise 401
  ``{"message": "Unauthorized"}`` (REST2.pm "Authentication Methods").
* ``GET /REST/2.0/tickets?query=<TicketSQL>`` with ``page``/``per_page`` (default 20, at
  most 100), ``orderby``/``order``, ``fields``; the answer has ``count``, ``page``,
  ``pages``, ``per_page``, ``total``, ``items`` and ``next_page``/``prev_page`` URLs when
  there are such pages (REST2.pm "Paging", "Example of plural resources"; Collection.pm).
  Items are ``{"type", "id", "_url"}`` where ``id`` is a *string* (``expand_uid`` takes it
  from a regex), while ``GET /ticket/{id}`` answers ``"id"`` as a *number*; the
  create answer's ``id`` is a string again (REST2.pm tutorial; Util.pm ``expand_uid``).
* ``GET /ticket/{id}``: Subject, Status, Queue/Owner/Creator as ``{"type", "id", "_url"}``,
  Requestor/Cc/AdminCc as lists of those, Priority, dates as ``2018-06-29T10:25:00Z``
  (W3CDTF in UTC; unset dates are ``1970-01-01T00:00:00Z``), CustomFields as a list of
  ``{"id", "type", "_url", "name", "values"}``, ``_hyperlinks``; ``ETag`` is the id of the
  ticket's last transaction, and ``If-None-Match`` gives 304 (WithETag.pm; conflict.t).
* ``PUT /ticket/{id}``: ``If-Match`` with a stale ETag is 412 ``{"message": "Precondition
  Failed"}`` and changes nothing. Otherwise 200 with a JSON array of messages, one per
  change ("Ticket 1: Subject changed from 'a' to 'b'", "Ticket 1: Priority changed from
  (no value) to '42'"), ``[]`` when nothing changed, and a REFUSAL also inside the 200:
  "Ticket 1: Status 'foo' isn't a valid status for this ticket." (tickets.t; Writable.pm
  "XXX TODO: Figure out how to return success/failure?"; Record/Role/Status.pm).
  Unknown custom fields are skipped without a message (Util.pm ``update_custom_fields``).
* ``POST /ticket``: 201, ``Location`` (a path: ``/REST/2.0/ticket/20``), ``{"id": "20", "type": "ticket", "_url"}``;
  400 "Could not create ticket. Queue not set" / "Unable to find queue" / "Status 'x'
  isn't a valid status for tickets in this queue." / "New tickets can not have status
  'x' in this queue." (Ticket.pm ``validate_input``; lib/RT/Ticket.pm ``Create``).
* ``POST /ticket/{id}/correspond`` (public reply) and ``/comment`` (internal note):
  ``text/plain``/``text/html`` bodies, or JSON with Content and ContentType (400 "ContentType
  is a required field for application/json" without it) and optional Subject, TimeTaken,
  Status, CustomFields; 201, ``Location: .../transaction/{id}``, body ``["Correspondence
  added"]`` / ``["Comments added"]`` plus any status message (Message.pm; tickets.t).
* RT 5's default scrip "On Correspond Open Inactive Tickets" (etc/initialdata; the action
  is lib/RT/Action/AutoOpenInactive.pm): a reply, by anyone, to a ticket whose status is
  not active (``new``, ``resolved``, ``rejected``, ``deleted``) sets it to ``open``, the
  lifecycle's first active status. Scrips run as RT's system user (Transaction.pm makes
  ``RT::Scrips->new(RT->SystemUser)``), so the Status transaction's Creator is
  ``RT_System``. ``auto_open = False`` models a site that disabled the scrip.
* ``GET /ticket/{id}/history``: transactions as ``{"type": "transaction", "id", "_url"}``
  with ``fields`` expanding Type, Created, Creator, Field, OldValue, NewValue...;
  ``total`` and ``pages`` null and no ``next_page`` for a user who is not a superuser
  (Collection.pm ``CurrentUserCanSeeAll``; recorded from RT 5.0.3), as for the two
  attachment listings below. ``GET /transaction/{id}`` has ``_hyperlinks`` with
  ``ref: attachment``; ``GET /attachment/{id}`` gives ``Content`` base64-encoded, MIME
  style with line breaks (tickets.t ``encode_base64``).
* Files (REST2.pm "Add Attachments"; Message.pm ``from_json``; t/rest2/attachments.t):
  correspond and comment take ``"Attachments": [{"FileName", "FileType", "FileContent"}]``
  with the content base64-encoded; each of the three must be non-empty, else 400 "FileName
  is a required field for each attachment in Attachments" (so an empty file cannot be
  sent this way). Content and ContentType may then be left out. The transaction holds a
  ``multipart/mixed`` part (Parent 0, the Subject, no Filename), then the body part
  (``application/octet-stream`` and empty when there was no Content), then one part per
  file with its Filename, all children of the first.
* ``GET /ticket/{id}/attachments`` and ``GET /transaction/{id}/attachments``: collections
  of ``{"type": "attachment", "id", "_url"}`` (an unknown ticket gives an empty one, not a
  404: Attachments.pm ``_get_ticket_attachments``), every attachment of every transaction
  (message bodies and containers too), ``fields`` expanding Filename, ContentType,
  Subject, Parent, TransactionId (the bare number: RT::Attachment has no TransactionIdObj),
  Creator (a user object), Created and ContentLength (Resource.pm ``expand_field``).
  ContentLength is the bytes of the decoded content; RT computes it the first time it is
  asked and keeps it as a Content-Length header, so the first answer is a number and each
  later one a string (Attachment.pm ``ContentLength``).
* ``$MaxAttachmentSize`` (10,000,000) matters only with ``$TruncateLongAttachments`` (the
  content is cut to that size) or ``$DropLongAttachments`` (the content becomes "Large
  attachment dropped", text/plain, the Filename gains ".txt"); the message gives no sign
  either way (RT_Config.pm; Record.pm ``_EncodeLOB``). Both are off by default, as in RT.
* TicketSQL dates are read in the API user's time zone, see ``rt_query``.

Wording not confirmed (the shape is): the messages for Queue, Owner, watcher and custom
field changes, and TicketSQL syntax errors.

Left out: assets, users/groups endpoints, links, merges, take/steal, multipart/form-data
uploads, files on ``POST /ticket``, JSON searches (``GET /attachments?query=``), outgoing
mail (but ``record_email`` copies a message's files into an ``EmailRecord`` transaction,
as RT's notifications do), lifecycles other than ``default``, rights (the API user may do
everything).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, request

from tests.fakes.base import FakeClock, FakeService, json_response

STATUSES = ("new", "open", "stalled", "resolved", "rejected", "deleted")
CREATE_STATUSES = frozenset({"new", "open", "resolved"})
INACTIVE = frozenset({"resolved", "rejected", "deleted"})
ACTIVE = frozenset({"open", "stalled"})
#: Ticket fields PUT may change, in the order RT reports them (alphabetical).
WRITABLE = (
    "Due",
    "FinalPriority",
    "InitialPriority",
    "Owner",
    "Priority",
    "Queue",
    "Status",
    "Subject",
    "TimeEstimated",
    "TimeLeft",
    "TimeWorked",
)
ROLES = ("Requestor", "Cc", "AdminCc")
SYSTEM_USER = "RT_System"


@dataclass
class Attachment:
    id: int
    transaction_id: int
    subject: str
    content_type: str
    content: bytes
    creator: str
    created: datetime
    filename: str = ""
    parent: int = 0
    length_kept: bool = False
    """Whether RT has stored its Content-Length header yet (see ``content_length``)."""


File = tuple[str, str, bytes]
"""A file sent with a message: (FileName, FileType, content)."""

MAX_ATTACHMENT_SIZE = 10_000_000
DROPPED = b"Large attachment dropped"


@dataclass
class Transaction:
    id: int
    ticket_id: int
    type: str
    creator: str
    created: datetime
    field: str = ""
    old_value: str = ""
    new_value: str = ""
    data: str = ""
    time_taken: int = 0


class RTFake(FakeService):
    """In-memory RT 5; every method is safe to call from any thread."""

    system = "rt"

    def __init__(
        self, *, clock: FakeClock | None = None, user_timezone: str = "UTC", timeout_delay: float = 1.0
    ) -> None:
        super().__init__(clock=clock, timeout_delay=timeout_delay)
        #: The API user's time zone, in which RT reads TicketSQL date values. RT's own
        #: default is the server's $Timezone, so set this to test a non-UTC site.
        self.user_timezone = user_timezone
        self.tokens: dict[str, str] = {"rt-token": "hub"}
        self.passwords: dict[str, str] = {"root": "password"}
        self.users: set[str] = {"Nobody", "root", "hub", "remote", SYSTEM_USER}
        #: RT's $MaxAttachmentSize, $TruncateLongAttachments and $DropLongAttachments.
        self.max_attachment_size = MAX_ATTACHMENT_SIZE
        self.truncate_long_attachments = False
        self.drop_long_attachments = False
        #: The default scrip "On Correspond Open Inactive Tickets" is enabled.
        self.auto_open = True
        self.queues: dict[int, str] = {}
        self.custom_fields: dict[int, str] = {}
        self._tickets: dict[int, dict[str, Any]] = {}
        self._transactions: dict[int, Transaction] = {}
        self._attachments: dict[int, Attachment] = {}
        self._next = {"ticket": 1, "transaction": 1, "attachment": 1}
        self.add_queue("General")

    # -- control API --------------------------------------------------------------------

    def add_queue(self, name: str) -> int:
        with self.lock:
            queue_id = len(self.queues) + 1
            self.queues[queue_id] = name
            return queue_id

    def add_custom_field(self, name: str) -> int:
        with self.lock:
            cf_id = len(self.custom_fields) + 1
            self.custom_fields[cf_id] = name
            return cf_id

    def add_token(self, token: str, user: str) -> None:
        with self.lock:
            self.tokens[token] = user
            self.users.add(user)

    def add_user(self, name: str, password: str | None = None) -> None:
        with self.lock:
            self.users.add(name)
            if password:
                self.passwords[name] = password

    def create_ticket(
        self,
        queue: str | int = "General",
        subject: str = "",
        *,
        requestor: Iterable[str] = (),
        status: str = "new",
        priority: int = 0,
        content: str | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        user: str = "remote",
        files: Sequence[File] = (),
    ) -> dict[str, Any]:
        """Create a ticket as ``user`` would in the web UI (``files`` attached to its
        Create transaction); returns its stored form."""
        data: dict[str, Any] = {
            "Queue": queue,
            "Subject": subject,
            "Requestor": list(requestor),
            "Status": status,
            "Priority": priority,
        }
        if content is not None:
            data.update(Content=content, ContentType="text/plain")
        if custom_fields:
            data["CustomFields"] = dict(custom_fields)
        with self.lock:
            ticket_id, problem = self.create(data, user, files)
            if problem:
                raise ValueError(problem)
            return copy.deepcopy(self._tickets[ticket_id])

    def update_ticket(self, ticket_id: int, *, user: str = "remote", **fields: Any) -> list[str]:
        """Change fields (and ``CustomFields={...}``) as ``user``; returns RT's messages."""
        with self.lock:
            return self.update(ticket_id, fields, user)

    def correspond(
        self,
        ticket_id: int,
        content: str | None,
        *,
        user: str = "remote",
        content_type: str = "text/plain",
        files: Sequence[File] = (),
    ) -> int:
        """A public reply as ``user``, with ``files`` attached; returns the transaction id."""
        with self.lock:
            return self.add_message(ticket_id, "Correspond", content, content_type, user, files=files)[0]

    def comment(
        self,
        ticket_id: int,
        content: str | None,
        *,
        user: str = "remote",
        content_type: str = "text/plain",
        files: Sequence[File] = (),
    ) -> int:
        """An internal comment as ``user``, with ``files`` attached; returns the transaction id."""
        with self.lock:
            return self.add_message(ticket_id, "Comment", content, content_type, user, files=files)[0]

    def record_email(self, ticket_id: int, of_transaction: int, *, user: str = SYSTEM_USER) -> int:
        """Record the notification RT mailed about a transaction: an ``EmailRecord``
        transaction holding copies of that transaction's parts, files included."""
        with self.lock:
            txn = self.record(ticket_id, "EmailRecord", user)
            parents: dict[int, int] = {}
            for part in [a for a in self._attachments.values() if a.transaction_id == of_transaction]:
                made = self.attach(txn, part.subject, part.content, part.content_type, filename=part.filename,
                                   parent=parents.get(part.parent, 0))
                parents[part.id] = made.id
            return txn.id

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._tickets[ticket_id])

    def tickets(self) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(t) for t in self._tickets.values()]

    def transactions(self, ticket_id: int) -> list[Transaction]:
        with self.lock:
            return [copy.copy(t) for t in self._transactions.values() if t.ticket_id == ticket_id]

    def attachments(self, transaction_id: int) -> list[Attachment]:
        with self.lock:
            return [copy.copy(a) for a in self._attachments.values() if a.transaction_id == transaction_id]

    def files(self, ticket_id: int) -> list[Attachment]:
        """The ticket's attachments that have a Filename, oldest first."""
        with self.lock:
            txns = {t.id for t in self._transactions.values() if t.ticket_id == ticket_id}
            return [copy.copy(a) for a in self._attachments.values() if a.transaction_id in txns and a.filename]

    def etag(self, ticket_id: int) -> str:
        with self.lock:
            return f'"{self.last_transaction(ticket_id)}"'

    # -- records (callers hold the lock) ----------------------------------------------------

    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    def queue_id(self, value: Any) -> int | None:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value) if int(value) in self.queues else None
        return next((qid for qid, name in self.queues.items() if name.lower() == str(value).lower()), None)

    def cf_id(self, name: str) -> int | None:
        if name.isdigit() and int(name) in self.custom_fields:
            return int(name)
        return next((cid for cid, cf in self.custom_fields.items() if cf.lower() == name.lower()), None)

    def last_transaction(self, ticket_id: int) -> int:
        return max(t.id for t in self._transactions.values() if t.ticket_id == ticket_id)

    def record(self, ticket_id: int, kind: str, user: str, **details: Any) -> Transaction:
        now = self.clock.now().replace(microsecond=0)
        txn = Transaction(self._id("transaction"), ticket_id, kind, user, now, **details)
        self._transactions[txn.id] = txn
        ticket = self._tickets[ticket_id]
        ticket["LastUpdated"] = now
        ticket["LastUpdatedBy"] = user
        return txn

    def attach(
        self,
        txn: Transaction,
        subject: str,
        content: str | bytes,
        content_type: str,
        *,
        filename: str = "",
        parent: int = 0,
    ) -> Attachment:
        body = content.encode() if isinstance(content, str) else content
        if self.max_attachment_size and len(body) > self.max_attachment_size:
            # Record.pm _EncodeLOB: silently, whatever the part is.
            if self.truncate_long_attachments:
                body = body[: self.max_attachment_size]
            elif self.drop_long_attachments:
                body, content_type = DROPPED, "text/plain"
                filename = f"{filename}.txt" if filename else ""
        attachment = Attachment(
            self._id("attachment"), txn.id, subject, content_type, body, txn.creator, txn.created, filename, parent
        )
        self._attachments[attachment.id] = attachment
        return attachment

    def attach_message(
        self, txn: Transaction, subject: str, content: str | None, content_type: str, files: Sequence[File]
    ) -> None:
        """A message's parts: its body alone, or with files a multipart/mixed container
        holding the body (empty when there was none) and the files."""
        if not files:
            if content is not None:
                self.attach(txn, subject, content, content_type)
            return
        container = self.attach(txn, subject, b"", "multipart/mixed")
        if content:
            self.attach(txn, "", content, content_type, parent=container.id)
        else:
            self.attach(txn, "", b"", "application/octet-stream", parent=container.id)
        for name, file_type, data in files:
            self.attach(txn, "", data, file_type, filename=name, parent=container.id)

    def content_length(self, attachment: Attachment) -> int | str:
        """What ``fields=ContentLength`` answers: counted (a number) the first time, read
        back from the header RT then stored (a string) after."""
        if attachment.length_kept:
            return str(len(attachment.content))
        attachment.length_kept = True
        return len(attachment.content)

    def create(self, data: Mapping[str, Any], user: str, files: Sequence[File] = ()) -> tuple[int, str | None]:
        """Create from REST-shaped ``data``; returns the id, or 0 and RT's refusal."""
        if not data.get("Queue"):
            return 0, "Could not create ticket. Queue not set"
        queue_id = self.queue_id(data["Queue"])
        if queue_id is None:
            return 0, "Unable to find queue"
        status = str(data.get("Status") or "new").lower()
        if status not in STATUSES:
            return 0, f"Status '{status}' isn't a valid status for tickets in this queue."
        if status not in CREATE_STATUSES:
            return 0, f"New tickets can not have status '{status}' in this queue."
        now = self.clock.now().replace(microsecond=0)
        ticket_id = self._id("ticket")
        ticket: dict[str, Any] = {
            "id": ticket_id,
            "Type": "ticket",
            "Subject": str(data.get("Subject") or ""),
            "Status": status,
            "Queue": queue_id,
            "Priority": _int(data.get("Priority")),
            "InitialPriority": _int(data.get("InitialPriority", data.get("Priority"))),
            "FinalPriority": _int(data.get("FinalPriority")),
            "Owner": str(data.get("Owner") or "Nobody"),
            "Creator": user,
            "LastUpdatedBy": user,
            "Requestor": _addresses(data.get("Requestor")),
            "Cc": _addresses(data.get("Cc")),
            "AdminCc": _addresses(data.get("AdminCc")),
            "Created": now,
            "LastUpdated": now,
            "Started": now if status not in ("new",) else None,
            "Resolved": now if status in INACTIVE else None,
            "Due": None,
            "Told": None,
            "Starts": None,
            "TimeWorked": _int(data.get("TimeWorked")),
            "TimeLeft": 0,
            "TimeEstimated": 0,
            "CustomFields": {},
        }
        self._tickets[ticket_id] = ticket
        txn = self.record(ticket_id, "Create", user)
        content = str(data["Content"]) if data.get("Content") is not None else None
        self.attach_message(txn, ticket["Subject"], content, str(data.get("ContentType") or "text/plain"), files)
        for name, value in (data.get("CustomFields") or {}).items():
            cf_id = self.cf_id(str(name))
            if cf_id is not None:  # RT logs and skips an unknown custom field
                ticket["CustomFields"][cf_id] = _cf_values(value)
        return ticket_id, None

    def update(self, ticket_id: int, data: Mapping[str, Any], user: str) -> list[str]:
        """Apply a PUT body; returns RT's messages, refusals included."""
        ticket = self._tickets[ticket_id]
        label = f"Ticket {ticket_id}"
        messages: list[str] = []
        for name in WRITABLE:
            if name not in data:
                continue
            message = self._set_field(ticket, name, data[name], user)
            if message:
                messages.append(f"{label}: {message}")
        for role in ROLES:
            if role in data:
                messages.extend(self._set_role(ticket, role, _addresses(data[role]), user))
        messages.extend(self.set_custom_fields(ticket, data.get("CustomFields") or {}, user))
        return messages

    def _set_field(self, ticket: dict[str, Any], name: str, value: Any, user: str) -> str | None:
        old = ticket[name]
        if name == "Status":
            return self.set_status(ticket, str(value), user)
        if name == "Queue":
            queue_id = self.queue_id(value)
            if queue_id is None:
                return f"Queue {value} does not exist"
            if queue_id == old:
                return None
            ticket["Queue"] = queue_id
            self.record(ticket["id"], "Set", user, field="Queue", old_value=str(old), new_value=str(queue_id))
            return f"Queue changed from '{self.queues[old]}' to '{self.queues[queue_id]}'"
        if name == "Owner":
            if str(value) not in self.users:
                return "That user does not exist"
            if value == old:
                return None
            ticket["Owner"] = str(value)
            self.record(ticket["id"], "Set", user, field="Owner", old_value=old, new_value=str(value))
            return f"Owner changed from {old} to {value}"
        new = _int(value) if name not in ("Subject", "Due") else ("" if value is None else str(value))
        if new == old or (name == "Due" and not new and old is None):
            return None
        ticket[name] = new
        self.record(ticket["id"], "Set", user, field=name, old_value=_raw(old), new_value=_raw(new))
        return f"{name} changed from {_shown(old)} to {_shown(new)}"

    def set_status(self, ticket: dict[str, Any], value: str, user: str) -> str | None:
        new, old = value.lower(), ticket["Status"]
        if new not in STATUSES:
            return f"Status '{value}' isn't a valid status for this ticket."
        if new == old:
            return None
        ticket["Status"] = new
        now = self.clock.now().replace(microsecond=0)
        if old == "new" and ticket["Started"] is None:
            ticket["Started"] = now
        ticket["Resolved"] = now if new in INACTIVE else None
        self.record(ticket["id"], "Status", user, field="Status", old_value=old, new_value=new)
        return f"Status changed from '{old}' to '{new}'"

    def _set_role(self, ticket: dict[str, Any], role: str, addresses: list[str], user: str) -> list[str]:
        messages = []
        for address in addresses:
            if address not in ticket[role]:
                ticket[role].append(address)
                self.record(ticket["id"], "AddWatcher", user, field=role, new_value=address)
                messages.append(f"Added {address} as {role} for this ticket")
        for address in [a for a in ticket[role] if a not in addresses]:
            ticket[role].remove(address)
            self.record(ticket["id"], "DelWatcher", user, field=role, old_value=address)
            messages.append(f"{address} is no longer {role} for this ticket")
        return messages

    def set_custom_fields(self, ticket: dict[str, Any], values: Mapping[str, Any], user: str) -> list[str]:
        messages = []
        for name, raw in values.items():
            cf_id = self.cf_id(str(name))
            if cf_id is None:
                continue
            new = _cf_values(raw)
            old = ticket["CustomFields"].get(cf_id, [])
            if new == old:
                continue
            ticket["CustomFields"][cf_id] = new
            self.record(
                ticket["id"], "CustomField", user, field=str(cf_id), old_value=", ".join(old), new_value=", ".join(new)
            )
            cf = self.custom_fields[cf_id]
            if not new:
                messages.append(f"{', '.join(old)} is no longer a value for custom field {cf}")
            elif old:
                messages.append(f"{cf} {', '.join(old)} changed to {', '.join(new)}")
            else:
                messages.append(f"{cf} {', '.join(new)} added")
        return messages

    def add_message(
        self,
        ticket_id: int,
        kind: str,
        content: str | None,
        content_type: str,
        user: str,
        subject: str | None = None,
        time_taken: int = 0,
        files: Sequence[File] = (),
    ) -> tuple[int, list[str]]:
        ticket = self._tickets[ticket_id]
        txn = self.record(ticket_id, kind, user, time_taken=time_taken)
        self.attach_message(txn, subject or "", content, content_type, files)
        messages = ["Correspondence added" if kind == "Correspond" else "Comments added"]
        if kind == "Correspond":
            ticket["Told"] = txn.created
            if self.auto_open and ticket["Status"] not in ACTIVE:
                self.set_status(ticket, "open", SYSTEM_USER)  # AutoOpenInactive, run as RT_System
        return txn.id, messages

    # -- HTTP ---------------------------------------------------------------------------

    def create_app(self) -> Flask:
        from tests.fakes.rt_http import build_app

        return build_app(self)

    def authenticate(self) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        with self.lock:
            if scheme.lower() == "token":
                return self.tokens.get(credentials.strip())
            if scheme.lower() == "basic":
                try:
                    name, _, password = base64.b64decode(credentials).decode().partition(":")
                except ValueError:
                    return None
                return name if password and self.passwords.get(name) == password else None
            if not header and "token" in request.args:
                return self.tokens.get(request.args["token"])
        return None

    def error_response(self, status: int, message: str, detail: str | None = None) -> Response:
        return json_response({"message": message}, status)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _raw(value: Any) -> str:
    return "" if value is None else str(value)


def _shown(value: Any) -> str:
    # RT quotes a true value and says "(no value)" for a Perl-false one: undef, "", 0, "0".
    return f"'{value}'" if value not in (None, "", 0, "0") else "(no value)"


def _addresses(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _cf_values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) for item in items if item is not None and str(item) != ""]
