"""The Request Tracker 5 connector: polls a queue's changed tickets in, pushes hub changes out (REST2).

Pull: TicketSQL ``Queue = 'X' AND LastUpdated > 'cursor - overlap'`` ordered by
LastUpdated, then id. RT keeps dates to the second, so the window overlaps on purpose: a
ticket seen before at the same id and LastUpdated is passed over without another call,
and each version is one event keyed ``id:LastUpdated:ETag`` (the ETag names the ticket's
last transaction, so two changes within one second are still two versions). Paging asks
again from the newest LastUpdated of each page rather than walking page numbers, so a
ticket updated during a long walk moves to the end without pushing another out of sight;
``next_page`` is followed only through a page that is all one second. Each changed ticket
travels with its history: ``Create`` gives the description, ``Correspond`` a public reply,
``Comment`` an internal note.

Files: RT keeps them as the parts of a transaction that have a Filename (the body and the
multipart container around it are parts too). Each changed ticket's files are listed with
``GET /ticket/{id}/attachments``, and those of its Create, Correspond (public) and Comment
(internal) transactions travel with it, each fetched once (``attachments_shipped``). A
hub file goes out as a reply (public) or a comment (internal), with its file, so it stays
as visible in RT as in the hub; a repeated attempt first searches the ticket for the same
file (name, size, then bytes) from the hub's RT user, so a retry after a lost answer or a
killed worker uploads nothing twice. RT answers 201 even when its size limit cut the file:
it is read back.

Push: our reference rides at the end of the Subject (``[hub INC-000042]``) of the tickets
the hub makes. A create first searches for it, so a create whose answer was lost is
found, never made twice. An update reads the ticket, leaves alone any field RT changed
since the last sync (the next poll settles it by the field's policy), and writes with
``If-Match``: a 412 means someone wrote in between, so it reads again and retries, and
after a few tries leaves the message to the outbox's backoff. RT answers a PUT 200 even
when it refuses a change (the refusal is one of its messages): a field RT did not
confirm is read back, and one that did not change fails the delivery. A reply repeated
after a lost answer or a killed worker is first looked for among our replies since it was
queued. RT's default scrip opens a ticket that is not active on any reply, ours too
(``AUTO_OPEN``, declared so the sync engine takes it for the hub's own doing).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from connectors.rt.config import (
    CONTENT,
    CREATE_STATUSES,
    DEFAULT_EFFECTS,
    DEFAULT_RULES,
    REF_TAG,
    RT_TIME,
    SUBJECT_MAX,
    UNSET_DATE,
    W3C_TIME,
    RTConfig,
    ref_tag,
)
from hub.sdk import (
    Checkpoint,
    EventInfo,
    FatalError,
    HttpClient,
    OutboundMessage,
    PushResult,
    RawEvent,
    RetriableError,
    SkippableError,
    TicketDraft,
    TicketInfo,
)
from hub.sdk.mailhtml import html_to_text, strip_quoted
from hub.sdk.sync import (
    FieldRule,
    RemoteAttachment,
    RemoteComment,
    RemoteRecord,
    SyncConnector,
    draft_for,
    earliest_copy,
    not_before,
    outbound_file,
    outbound_values,
    remote_speaks,
    remote_visibility,
    values_hash,
)
from hub.sdk.write_effects import OWN_EFFECTS, WriteEffect, changed_remotely

MESSAGES = {"Correspond": "public", "Comment": "internal"}
ENDPOINTS = {"public": "correspond", "internal": "comment"}
FILE_VISIBILITY = {"Create": "public", "Correspond": "public", "Comment": "internal"}
"""Transactions whose files are read; others (an EmailRecord of a notification) hold copies."""
FILE_FIELDS = "Filename,ContentType,ContentLength,Creator,TransactionId,Created"
RECENT_KEPT = 5000
HISTORY_PAGE = 100
MAX_PAGES = 10_000
PUT_TRIES = 3
"""Writes tried at once when RT answers 412; after that the outbox retries later."""
OWN_MESSAGES_CHECKED = 10
"""How many of our latest replies a retried reply is compared with, to post it once."""


class RTConnector(SyncConnector):
    slug = "rt"
    title = "Request Tracker"
    version = "0.1.0"
    description = "Two-way sync of a Request Tracker 5 queue with hub incidents or changes (REST2 API)."
    config_schema = RTConfig
    default_field_rules: ClassVar[tuple[FieldRule, ...]] = DEFAULT_RULES
    default_write_effects: ClassVar[tuple[WriteEffect, ...]] = DEFAULT_EFFECTS
    names_requester = True
    """A ticket it creates names the requester as Requestor when RT speaks to them."""

    # -- plumbing ------------------------------------------------------------------------

    def make_client(self) -> HttpClient:
        token = self.config.get("token")
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"token {token}"
        auth = None if token else (self.config.get("username") or "", self.config.get("password") or "")
        return self.http(f"{self.site}/REST/2.0", headers=headers, auth=auth, timeout=self.timeout)

    @property
    def site(self) -> str:
        return str(self.config["url"]).rstrip("/")

    @property
    def me(self) -> str:
        return str(self.config.get("rt_user") or self.config.get("username") or "")

    def rules(self, kind: str | None = None) -> list[FieldRule]:
        return super().rules(kind or self.config["kind"])  # one queue holds one kind

    def _object(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise FatalError(f"{response.url}: RT answered without JSON; is REST2 enabled?") from exc
        if not isinstance(data, dict):
            raise FatalError(f"{response.url}: RT answered {type(data).__name__}, not an object")
        return data

    def _page(self, response: requests.Response) -> dict[str, Any]:
        page = self._object(response)
        if not isinstance(page.get("items"), list):
            raise FatalError(f"{response.url}: RT answered a collection without items")
        page["items"] = [item for item in page["items"] if isinstance(item, dict)]
        return page

    def _search(self, query: str, *, fields: str = "LastUpdated", per_page: int | None = None) -> dict[str, Any]:
        params = {"query": query, "orderby": ["LastUpdated", "id"], "order": ["ASC", "ASC"], "fields": fields,
                  "per_page": str(per_page or self.config["page_size"])}
        return self._page(self.client.get("/tickets", params=params))

    def _in_queue(self, *clauses: str) -> str:
        return " AND ".join([f"Queue = {_quote(self.config['queue'])}", *clauses])

    def _rt_date(self, moment: datetime) -> str:
        # RT reads a date in a search in the API user's time zone, not as UTC.
        return _aware(moment).astimezone(ZoneInfo(self.config["timezone"])).strftime(RT_TIME)

    def _url(self, ticket_id: str) -> str:
        return f"{self.site}/Ticket/Display.html?id={ticket_id}"

    def check_connection(self) -> str:
        page = self._search(self._in_queue(), per_page=1)
        total = page.get("total")
        counted = f", {total} tickets" if total is not None else ""
        return f"{self.site}: queue {self.config['queue']}{counted}"

    # -- pull ----------------------------------------------------------------------------

    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint]:
        cursor = _rt_time(state.get("cursor"))
        previous = [str(key) for key in state.get("recent") or []]
        delivered = {_prefix(key): key for key in previous}
        known = set(previous)
        shipped = [str(ident) for ident in state.get("attachments_shipped") or []]
        walked: set[str] = set()
        kept: list[str] = []
        newest = cursor
        for items in self._walk(self._since(cursor)):
            for item in items:
                ticket_id, updated = _ident(item.get("id")), str(item.get("LastUpdated") or "")
                prefix = f"{ticket_id}:{updated}"
                if not ticket_id or prefix in walked:
                    continue
                walked.add(prefix)
                moment = _w3c(updated)
                if moment is not None and (newest is None or moment > newest):
                    newest = moment
                if prefix in delivered and cursor is not None and moment is not None and moment < cursor:
                    # Read before, and older than the last poll's newest second: nothing can
                    # have changed it without moving its LastUpdated.
                    kept.append(delivered[prefix])
                    continue
                found = self._ticket_if_there(ticket_id)
                if found is None:
                    continue  # deleted, moved out of the queue or merged since the search
                record, etag = found
                key = f"{ticket_id}:{record.get('LastUpdated')}:{_version(etag)}"
                kept.append(key)
                if key in known:
                    continue
                known.add(key)
                yield RawEvent(idempotency_key=key, payload=self._payload(ticket_id, record, etag, shipped))
            if items:
                yield Checkpoint(self._state(newest, kept, previous, shipped))

    def _payload(self, ticket_id: str, record: dict[str, Any], etag: str, shipped: list[str]) -> dict[str, Any]:
        """One version of a ticket: its fields, its messages, and its files not sent before."""
        rows = self._history_rows(ticket_id)
        listed = self._ticket_files(ticket_id) if self.syncs_attachments else []
        # A file part is never a message's text: not fetched for it.
        history = self._history(rows, skip={_ident(item.get("id")) for item in listed})
        files = self.ship_attachments(self._remote_files(listed, rows), self._download, shipped)
        return {"ticket": record, "version": _version(etag), "history": history, "attachments": files}

    def _walk(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """The queue's tickets updated after ``since``, page by page, oldest change first."""
        after = since
        page = self._search(self._in_queue(*self._after(after)))
        for _ in range(MAX_PAGES):
            items = page["items"]
            yield items
            following = page.get("next_page")
            if not items or not following:
                return
            newest = max((t for t in (_w3c(item.get("LastUpdated")) for item in items) if t), default=None)
            if newest is not None and (after is None or newest - after > timedelta(seconds=1)):
                after = newest - timedelta(seconds=1)  # "> newest - 1s": the newest second again, deduplicated
                page = self._search(self._in_queue(*self._after(after)))
            else:
                page = self._page(self.client.get(str(following)))
        raise FatalError(f"more than {MAX_PAGES} pages in one poll; stopping (is RT paging in a loop?)")

    def _after(self, moment: datetime | None) -> list[str]:
        return [f"LastUpdated > {_quote(self._rt_date(moment))}"] if moment else []

    def _since(self, cursor: datetime | None) -> datetime | None:
        if cursor is not None:
            return cursor - timedelta(seconds=int(self.config["overlap_seconds"]))
        start = self.config.get("import_since")
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        return _aware(start) if isinstance(start, datetime) else None

    def _state(self, newest: datetime | None, kept: list[str], previous: list[str],
               shipped: list[str]) -> dict[str, Any]:
        start = self._since(newest)
        keys = [key for key in dict.fromkeys(kept + previous)
                if start is None or (_key_time(key) or start) >= start]
        keys.sort(key=lambda key: _key_time(key) or datetime.min.replace(tzinfo=UTC), reverse=True)
        return {"cursor": newest.strftime(RT_TIME) if newest else None, "recent": keys[:RECENT_KEPT],
                "attachments_shipped": list(shipped)}

    def _ticket_if_there(self, ticket_id: str) -> tuple[dict[str, Any], str] | None:
        """The ticket and its ETag, or None when RT has no such ticket."""
        response = self.client.get(f"/ticket/{ticket_id}", ok=(404,))
        if response.status_code == 404:
            return None
        return self._object(response), str(response.headers.get("ETag") or "")

    def _ticket(self, ticket_id: str) -> tuple[dict[str, Any], str]:
        found = self._ticket_if_there(ticket_id)
        if found is None:
            raise FatalError(f"RT ticket {ticket_id} does not exist (any more)", status=404)
        return found

    def _history_rows(self, ticket_id: str) -> list[dict[str, Any]]:
        return self._collection(f"/ticket/{ticket_id}/history", {"fields": "Type,Creator,Created"})

    def _collection(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every item of a collection, page by page. RT gives a superuser a total and
        next_page links; anyone else gets ``"pages": null`` and no link, and a page may hold
        fewer items than asked for (RT drops the rows the user may not see after paging),
        so without a total the next page is asked for until one comes back empty."""
        query = {**params, "per_page": str(HISTORY_PAGE)}
        url: str = path
        asked: dict[str, str] | None = query
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self._page(self.client.get(url, params=asked))
            items.extend(page["items"])
            following = page.get("next_page")
            if following and page["items"]:
                url, asked = str(following), None
            elif page.get("pages") is None and page["items"]:
                number = (_int(page.get("page")) or 1) + 1
                url, asked = path, {**query, "page": str(number)}
            else:
                return items
        raise FatalError(f"{path}: more than {MAX_PAGES} pages")

    def _history(self, rows: list[dict[str, Any]], skip: set[str] | frozenset[str] = frozenset()
                 ) -> list[dict[str, str]]:
        """The ticket's description and the replies and comments others wrote."""
        found: list[dict[str, str]] = []
        created = False
        for row in rows:
            kind, creator = str(row.get("Type") or ""), _text(row.get("Creator"))
            if kind == "Create" and not created:
                created = True
            elif kind not in MESSAGES or creator == self.me:  # our own are written by push
                continue
            txn = _ident(row.get("id"))
            found.append({"id": txn, "type": kind, "creator": creator, "created": str(row.get("Created") or ""),
                          "content": self._content(txn, skip)})
        return found

    def _content(self, txn_id: str, skip: set[str] | frozenset[str] = frozenset()) -> str:
        """The text of a transaction: its first plain or HTML part that is not a file
        (``skip`` names parts known to be files, so they are not downloaded for this)."""
        txn = self._object(self.client.get(f"/transaction/{txn_id}"))
        for link in txn.get("_hyperlinks") or []:
            if not isinstance(link, dict) or link.get("ref") != "attachment" or not link.get("_url"):
                continue
            if str(link["_url"]).rstrip("/").rsplit("/", 1)[-1] in skip:
                continue
            part = self._object(self.client.get(str(link["_url"])))
            content_type = str(part.get("ContentType") or "").split(";")[0].strip().lower()
            if part.get("Filename") or content_type not in ("text/plain", "text/html"):
                continue
            text = _decoded(part.get("Content"))
            if text.strip():
                return html_to_text(text) if content_type == "text/html" else text
        return ""

    def _ticket_files(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's attachments that are files (have a Filename), of any transaction."""
        items = self._collection(f"/ticket/{ticket_id}/attachments", {"fields": FILE_FIELDS})
        return [item for item in items if _text(item.get("Filename")) and _ident(item.get("id"))]

    def _remote_files(self, listed: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[RemoteAttachment]:
        """The files others attached to the ticket's messages, with the visibility of their
        transaction; the hub's own uploads (by our RT user) are left where they are."""
        transactions = {_ident(row.get("id")): row for row in rows}
        found: list[RemoteAttachment] = []
        for item in listed:
            txn = transactions.get(_ident(item.get("TransactionId"))) or {}
            visibility = FILE_VISIBILITY.get(str(txn.get("Type") or ""))
            author = _text(item.get("Creator")) or _text(txn.get("Creator"))
            if visibility is None or author == self.me:
                continue
            content_type = _text(item.get("ContentType")).split(";")[0].strip() or "application/octet-stream"
            found.append(RemoteAttachment(id=_ident(item.get("id")), filename=_text(item.get("Filename")),
                                          content_type=content_type, size=_int(item.get("ContentLength")),
                                          visibility=visibility, author=author))
        return found

    def _download(self, item: RemoteAttachment) -> bytes:
        response = self.client.get(f"/attachment/{item.id}", ok=(404,))
        if response.status_code == 404:
            item.refused = "RT no longer shows it"
            return b""
        content = self._object(response).get("Content")
        try:
            return base64.b64decode(str(content or ""))
        except (binascii.Error, ValueError):
            item.refused = "RT sent its content in a form the hub could not decode"
            return b""

    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = event.payload or {}
        record = payload.get("ticket")
        if not isinstance(record, Mapping) or not _ident(record.get("id")):
            raise SkippableError("not an RT ticket event")
        kind = str(self.config["kind"])
        rules = self.rules(kind)
        history = [row for row in payload.get("history") or [] if isinstance(row, Mapping)]
        content = next((str(row.get("content") or "") for row in history if row.get("type") == "Create"), "")
        comments = [RemoteComment(id=str(row.get("id")), body=strip_quoted(str(row.get("content") or "")),
                                  visibility=MESSAGES[str(row.get("type"))], author=str(row.get("creator") or ""),
                                  created_at=str(row.get("created") or ""))
                    for row in history if row.get("type") in MESSAGES and row.get("creator") != self.me]
        ticket_id = _ident(record["id"])
        tag = REF_TAG.search(str(record.get("Subject") or ""))
        remote = RemoteRecord(kind=kind, external_id=ticket_id, fields=self._fields(record, rules, content),
                              version=str(payload.get("version") or "") or None,
                              updated_at=_w3c(record.get("LastUpdated")), url=self._url(ticket_id),
                              our_ref=tag.group(1) if tag else None, comments=comments,
                              attachments=[file for file in (RemoteAttachment.load(item) for item in
                                                             payload.get("attachments") or []
                                                             if isinstance(item, Mapping))
                                           if file.author != self.me])
        draft = draft_for(remote, rules)
        draft.custom_fields["rt_ticket"] = ticket_id
        requestors = [_text(who) for who in record.get("Requestor") or []]
        draft.requester_email = next((who for who in requestors if "@" in who), None)
        return draft

    def _fields(self, record: Mapping[str, Any], rules: list[FieldRule], content: str | None) -> dict[str, str]:
        """The rules' fields in RT's own words, as the sync engine compares them."""
        fields: dict[str, str] = {}
        for rule in rules:
            if rule.remote == CONTENT:
                if content is not None:
                    fields[CONTENT] = content.strip()
            elif rule.remote == "Subject":
                fields["Subject"] = REF_TAG.sub("", _text(record.get("Subject")))
            else:
                fields[rule.remote] = _level(rule, _text(record.get(rule.remote)))
        return fields

    # -- push ----------------------------------------------------------------------------

    def push(self, message: OutboundMessage) -> PushResult:
        ticket = message.ticket
        if ticket is None:
            return PushResult(detail="no ticket to send")
        if ticket.kind != self.config["kind"]:
            return PushResult(detail=f"{ticket.kind} tickets are not synced with queue {self.config['queue']}")
        if message.action == "attachment" and not self.syncs_attachments:
            return PushResult(detail="attachments are not synced (sync_attachments is off)")
        rules = self.rules(ticket.kind)
        wanted = outbound_values(rules, ticket)
        if "Subject" in wanted:
            wanted["Subject"] = _fit(wanted["Subject"])
        if message.link is None:
            return self._push_unlinked(message, ticket, rules, wanted)
        ticket_id = message.link.external_id
        if message.action == "comment":
            return PushResult(detail=self._post_message(ticket_id, message))
        if message.action == "attachment":
            return PushResult(detail=self._post_file(ticket_id, message))
        synced = dict((message.link.data or {}).get("synced") or {})
        sent = self._update(ticket_id, rules, wanted, synced, (message.link.data or {}).get(OWN_EFFECTS))
        return PushResult(synced_hash=values_hash(synced), data={"synced": synced},
                          detail=f"sent {', '.join(sent)}" if sent else "already in step")

    def _push_unlinked(self, message: OutboundMessage, ticket: TicketInfo, rules: list[FieldRule],
                       wanted: dict[str, str]) -> PushResult:
        ticket_id = self._find_ours(ticket)
        if ticket_id is None:
            ticket_id = self._create(ticket, wanted)
            content = ticket.description or ""
        else:
            created = next((row for row in self._history_rows(ticket_id) if row.get("Type") == "Create"), None)
            content = self._content(_ident(created.get("id"))) if created else ""
        synced = self._fields(self._ticket(ticket_id)[0], rules, content)
        # What RT would not take at creation (a stalled status, say) goes in as an update.
        self._update(ticket_id, rules, wanted, synced)
        detail = f"linked to RT ticket {ticket_id}"
        if message.action == "comment":
            self._post_message(ticket_id, message)
        elif message.action == "attachment":
            detail += "; " + self._post_file(ticket_id, message)
        return PushResult(external_id=ticket_id, url=self._url(ticket_id), synced_hash=values_hash(synced),
                          data={"synced": synced}, detail=detail)

    def _find_ours(self, ticket: TicketInfo) -> str | None:
        since = _aware(ticket.created_at) - timedelta(days=1)  # bounds the scan; clocks may differ a little
        query = self._in_queue(f"Subject LIKE {_quote(ref_tag(ticket.ref).strip())}",
                               f"Created > {_quote(self._rt_date(since))}")
        for item in self._search(query, fields="Subject,LastUpdated", per_page=20)["items"]:
            tag = REF_TAG.search(_text(item.get("Subject")))
            if tag and tag.group(1) == ticket.ref:
                return _ident(item.get("id"))
        return None

    def _create(self, ticket: TicketInfo, wanted: dict[str, str]) -> str:
        body: dict[str, Any] = {"Queue": self.config["queue"],
                                "Subject": _fit(wanted.get("Subject", ticket.title)) + ref_tag(ticket.ref)}
        if ticket.description:
            body.update(Content=ticket.description, ContentType="text/plain")
        if ticket.requester_email and remote_speaks(self.config, came_from_remote=False):
            body["Requestor"] = ticket.requester_email  # RT speaks to them: its scrips mail its requestors
        for remote, value in wanted.items():
            if remote != "Subject" and not (remote == "Status" and value not in CREATE_STATUSES):
                body[remote] = _outgoing(value)
        ticket_id = _ident(self._object(self.client.post("/ticket", json=body)).get("id"))
        if not ticket_id:
            raise FatalError("RT answered the create without a ticket id")
        return ticket_id

    def _update(self, ticket_id: str, rules: list[FieldRule], wanted: dict[str, str],
                synced: dict[str, str], own: dict[str, Any] | None = None) -> list[str]:
        """Write what the hub changed and RT did not; updates ``synced``; returns the fields sent.

        ``own``: values a field may show because of the hub's own writes (its link's
        ``own_effects``), which are no RT edit."""
        for _ in range(PUT_TRIES):
            record, etag = self._ticket(ticket_id)
            current = self._fields(record, rules, None)
            send: dict[str, str] = {}
            for remote, value in wanted.items():
                now = current.get(remote, "")
                if now == value:
                    synced[remote] = value
                elif changed_remotely(remote, now, synced, own):
                    continue  # changed in RT too: the next poll settles it by the field's policy
                else:
                    send[remote] = value
            if not send:
                return []
            body = {remote: _outgoing(value) for remote, value in send.items()}
            tag = REF_TAG.search(_text(record.get("Subject")))
            if "Subject" in body and tag:
                body["Subject"] = f"{body['Subject']}{ref_tag(tag.group(1))}"
            response = self.client.put(f"/ticket/{ticket_id}", json=body, headers={"If-Match": etag} if etag else {},
                                       ok=(412,))
            if response.status_code == 412:
                self.log.info("RT ticket %s changed while the hub wrote to it; reading it again", ticket_id)
                continue
            self._check_applied(ticket_id, rules, send, response)
            synced.update(send)
            return sorted(send)
        raise RetriableError(f"RT ticket {ticket_id} kept changing while the hub wrote to it "
                             f"(412 Precondition Failed {PUT_TRIES} times); retried later", status=412)

    def _check_applied(self, ticket_id: str, rules: list[FieldRule], sent: dict[str, str],
                       response: requests.Response) -> None:
        """RT answers 200 with one message per change, refusals among them: a field no
        message confirms is read back, and one that did not change fails the delivery."""
        try:
            answer = response.json()
        except ValueError:
            answer = []
        messages = [str(item) for item in answer] if isinstance(answer, list) else []
        unconfirmed = [remote for remote in sent if not any(_confirms(remote, text) for text in messages)]
        if not unconfirmed:
            return
        now = self._fields(self._ticket(ticket_id)[0], rules, None)
        refused = [remote for remote in unconfirmed if now.get(remote) != sent[remote]]
        if refused:
            said = "; ".join(messages) or "no message"
            raise SkippableError(f"RT refused {', '.join(refused)} on ticket {ticket_id} (answered 200): {said}")

    def _post_message(self, ticket_id: str, message: OutboundMessage) -> str:
        comment = message.payload.get("comment") or {}
        body = str(comment.get("body") or "").strip()
        if not body:
            return "empty comment; nothing sent"
        endpoint = ENDPOINTS[remote_visibility(comment)]
        # An attempt above 1 may follow one that reached RT (a lost answer, a killed worker):
        # look for it first. A first attempt cannot have a twin, so it costs no read.
        if message.attempt > 1 and self._already_posted(ticket_id, endpoint, body, earliest_copy(message)):
            return f"{endpoint} already in RT (an earlier answer was lost)"
        self.client.post(f"/ticket/{ticket_id}/{endpoint}", json={"Content": body, "ContentType": "text/plain"})
        return f"{endpoint} added"

    def _post_file(self, ticket_id: str, message: OutboundMessage) -> str:
        """Send a hub file as a reply (public) or a comment (internal), so it is exactly as
        visible in RT as in the hub."""
        sending = outbound_file(message)
        if sending is None:
            return "no file to send"
        file, visibility = sending
        name, size = file.filename, len(file.data)
        if not size:
            # REST2 refuses an empty FileContent as missing (Message.pm from_json).
            return f"{name} is empty: RT's REST API takes no empty file, so it stays in the hub"
        if message.attempt > 1 and self._has_file(ticket_id, name, file.data, earliest_copy(message)):
            return f"{name} already in RT ticket {ticket_id} (an earlier answer was lost)"
        endpoint = ENDPOINTS[visibility]
        body = {"Content": f"File from the hub: {name}", "ContentType": "text/plain",
                "Attachments": [{"FileName": name, "FileType": file.content_type or "application/octet-stream",
                                 "FileContent": base64.b64encode(file.data).decode("ascii")}]}
        response = self.client.post(f"/ticket/{ticket_id}/{endpoint}", json=body)
        self._check_file_kept(ticket_id, name, file.data, response)
        return f"{name} sent with a {'comment' if endpoint == 'comment' else 'reply'}"

    def _has_file(self, ticket_id: str, name: str, data: bytes, since: datetime | None = None) -> bool:
        """Whether our RT user already attached this file to the ticket (``since`` then, if
        given): same name and size, and then the same bytes (two files may share both)."""
        for item in self._ticket_files(ticket_id):
            if (_text(item.get("Filename")) == name and _int(item.get("ContentLength")) == len(data)
                    and _text(item.get("Creator")) == self.me and not_before(_w3c(item.get("Created")), since)):
                found = RemoteAttachment(id=_ident(item.get("id")), filename=name)
                if self._download(found) == data and found.refused is None:
                    return True
        return False

    def _check_file_kept(self, ticket_id: str, name: str, data: bytes, response: requests.Response) -> None:
        """RT answers 201 whatever it made of the file: with $TruncateLongAttachments or
        $DropLongAttachments it cuts or replaces one over $MaxAttachmentSize, and says
        nothing. The transaction's files are read back; a file not kept whole fails the
        delivery, naming what RT holds."""
        location = str(response.headers.get("Location") or "").rstrip("/")
        txn_id = location.rsplit("/", 1)[-1] if "/transaction/" in location else ""
        if not txn_id.isdigit():
            if not self._has_file(ticket_id, name, data):
                raise SkippableError(f"RT did not keep {name} on ticket {ticket_id}: {_said(response)}")
            return
        size = len(data)
        items = self._collection(f"/transaction/{txn_id}/attachments", {"fields": "Filename,ContentLength"})
        kept = [(_text(item.get("Filename")), _int(item.get("ContentLength"))) for item in items
                if _text(item.get("Filename")) in (name, f"{name}.txt")]
        if (name, size) in kept:
            return
        if kept:
            held, length = kept[0]
            raise SkippableError(f"RT did not keep {name} whole on ticket {ticket_id}: it holds {held} of "
                                 f"{length} bytes, not {size} (its $MaxAttachmentSize, with truncating or "
                                 "dropping large attachments on)")
        raise SkippableError(f"RT did not keep {name} on ticket {ticket_id} (transaction {txn_id}): "
                             f"{_said(response)}")

    def _already_posted(self, ticket_id: str, endpoint: str, body: str, since: datetime | None) -> bool:
        """Whether one of our latest replies (or comments) on the ticket since ``since``
        holds this text, compared as RT may store it (line ends, trailing blanks)."""
        kind = "Comment" if endpoint == "comment" else "Correspond"
        ours = [row for row in self._history_rows(ticket_id)
                if row.get("Type") == kind and _text(row.get("Creator")) == self.me
                and not_before(_w3c(row.get("Created")), since)]
        wanted = _same_text(body)
        return any(_same_text(self._content(_ident(row.get("id")))) == wanted
                   for row in reversed(ours[-OWN_MESSAGES_CHECKED:]))


# -- RT's values -------------------------------------------------------------------------


def _ident(value: Any) -> str:
    """An id as text: REST2 gives ``"20"`` in one answer and ``20`` in another."""
    if isinstance(value, Mapping):
        value = value.get("id")
    text = str(value).strip() if value is not None else ""
    return str(int(text)) if text.isascii() and text.isdigit() else text


def _text(value: Any) -> str:
    """A field as text: a user or queue reference by its id, a list of them joined, unset dates empty."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return _ident(value)
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    text = str(value)
    return "" if text == UNSET_DATE else text


def _level(rule: FieldRule, value: str) -> str:
    """A value as the rule knows it: a number between the mapped ones is read as the
    nearest (RT's Priority 42 is 50, medium), a name as its number (RT 5 may say "High")."""
    if not rule.values_in or value in rule.values_in or value == "":
        return value
    numbers = [key for key in rule.values_in if _int(key) is not None]
    number = _int(value)
    if number is not None and numbers:
        # The nearest; a tie goes to the higher level, the safer side for urgency.
        return min(numbers, key=lambda key: (abs(int(key) - number), -int(key)))
    by_name = {hub.lower(): remote for remote, hub in rule.values_in.items()}
    return by_name.get(value.lower(), value)


def _outgoing(value: str) -> Any:
    return int(value) if value.isascii() and value.lstrip("-").isdigit() else value


def _fit(subject: str) -> str:
    room = SUBJECT_MAX - len(ref_tag("INC-000000000000"))  # room for the tag of any reference
    return subject if len(subject) <= room else subject[: room - 1] + "\u2026"


def _same_text(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))


def _confirms(field: str, message: str) -> bool:
    return re.search(rf"\b{re.escape(field)}\b.*\bchanged\b", message, re.IGNORECASE) is not None


def _said(response: requests.Response) -> str:
    """RT's messages in an answer, for an error."""
    try:
        answer = response.json()
    except ValueError:
        return f"answered {response.status_code} without JSON"
    messages = [str(item) for item in answer] if isinstance(answer, list) else [str(answer)]
    return f"answered {response.status_code}: {'; '.join(messages) or 'no message'}"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _decoded(content: Any) -> str:
    text = str(content or "")
    try:
        return base64.b64decode(text, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return text


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _version(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def _w3c(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), W3C_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def _rt_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), RT_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def _prefix(key: str) -> str:
    return key.rsplit(":", 1)[0]


def _key_time(key: str) -> datetime | None:
    return _w3c(_prefix(key).partition(":")[2])
