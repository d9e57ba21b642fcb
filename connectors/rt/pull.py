"""Pulling a queue's changed tickets in: the overlapping LastUpdated window, each version
with its history and files, read as a sync draft (see connectors.rt.connector for the whole story)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.rt.config import REF_TAG, RT_TIME
from connectors.rt.rest import (
    FILE_VISIBILITY,
    MAX_PAGES,
    MESSAGES,
    RECENT_KEPT,
    RTRest,
    as_int,
    as_text,
    aware,
    cursor_time,
    key_prefix,
    key_time,
    quote,
    rt_id,
    version_of,
    w3c_time,
)
from hub.sdk import Checkpoint, EventInfo, FatalError, RawEvent, SkippableError, TicketDraft
from hub.sdk.mailhtml import strip_quoted
from hub.sdk.sync import RemoteAttachment, RemoteComment, RemoteRecord, draft_for


class RTPull(RTRest):
    """Polls the queue and reads each changed ticket."""

    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint]:
        cursor = cursor_time(state.get("cursor"))
        previous = [str(key) for key in state.get("recent") or []]
        delivered = {key_prefix(key): key for key in previous}
        known = set(previous)
        shipped = [str(ident) for ident in state.get("attachments_shipped") or []]
        walked: set[str] = set()
        kept: list[str] = []
        newest = cursor
        for items in self._walk(self._since(cursor)):
            for item in items:
                ticket_id, updated = rt_id(item.get("id")), str(item.get("LastUpdated") or "")
                prefix = f"{ticket_id}:{updated}"
                if not ticket_id or prefix in walked:
                    continue
                walked.add(prefix)
                moment = w3c_time(updated)
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
                key = f"{ticket_id}:{record.get('LastUpdated')}:{version_of(etag)}"
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
        history = self._history(rows, skip={rt_id(item.get("id")) for item in listed})
        files = self.ship_attachments(self._remote_files(listed, rows), self._download, shipped)
        return {"ticket": record, "version": version_of(etag), "history": history, "attachments": files}

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
            newest = max((t for t in (w3c_time(item.get("LastUpdated")) for item in items) if t), default=None)
            if newest is not None and (after is None or newest - after > timedelta(seconds=1)):
                after = newest - timedelta(seconds=1)  # "> newest - 1s": the newest second again, deduplicated
                page = self._search(self._in_queue(*self._after(after)))
            else:
                page = self._page(self.client.get(str(following)))
        raise FatalError(f"more than {MAX_PAGES} pages in one poll; stopping (is RT paging in a loop?)")

    def _after(self, moment: datetime | None) -> list[str]:
        return [f"LastUpdated > {quote(self._rt_date(moment))}"] if moment else []

    def _since(self, cursor: datetime | None) -> datetime | None:
        if cursor is not None:
            return cursor - timedelta(seconds=int(self.config["overlap_seconds"]))
        start = self.config.get("import_since")
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        return aware(start) if isinstance(start, datetime) else None

    def _state(self, newest: datetime | None, kept: list[str], previous: list[str],
               shipped: list[str]) -> dict[str, Any]:
        start = self._since(newest)
        keys = [key for key in dict.fromkeys(kept + previous)
                if start is None or (key_time(key) or start) >= start]
        keys.sort(key=lambda key: key_time(key) or datetime.min.replace(tzinfo=UTC), reverse=True)
        return {"cursor": newest.strftime(RT_TIME) if newest else None, "recent": keys[:RECENT_KEPT],
                "attachments_shipped": list(shipped)}

    def _history(self, rows: list[dict[str, Any]], skip: set[str] | frozenset[str] = frozenset()
                 ) -> list[dict[str, str]]:
        """The ticket's description and the replies and comments others wrote."""
        found: list[dict[str, str]] = []
        created = False
        for row in rows:
            kind, creator = str(row.get("Type") or ""), as_text(row.get("Creator"))
            if kind == "Create" and not created:
                created = True
            elif kind not in MESSAGES or creator == self.me:  # our own are written by push
                continue
            txn = rt_id(row.get("id"))
            found.append({"id": txn, "type": kind, "creator": creator, "created": str(row.get("Created") or ""),
                          "content": self._content(txn, skip)})
        return found

    def _remote_files(self, listed: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[RemoteAttachment]:
        """The files others attached to the ticket's messages, with the visibility of their
        transaction; the hub's own uploads (by our RT user) are left where they are."""
        transactions = {rt_id(row.get("id")): row for row in rows}
        found: list[RemoteAttachment] = []
        for item in listed:
            txn = transactions.get(rt_id(item.get("TransactionId"))) or {}
            visibility = FILE_VISIBILITY.get(str(txn.get("Type") or ""))
            author = as_text(item.get("Creator")) or as_text(txn.get("Creator"))
            if visibility is None or author == self.me:
                continue
            content_type = as_text(item.get("ContentType")).split(";")[0].strip() or "application/octet-stream"
            found.append(RemoteAttachment(id=rt_id(item.get("id")), filename=as_text(item.get("Filename")),
                                          content_type=content_type, size=as_int(item.get("ContentLength")),
                                          visibility=visibility, author=author))
        return found

    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = event.payload or {}
        record = payload.get("ticket")
        if not isinstance(record, Mapping) or not rt_id(record.get("id")):
            raise SkippableError("not an RT ticket event")
        kind = str(self.config["kind"])
        rules = self.rules(kind)
        history = [row for row in payload.get("history") or [] if isinstance(row, Mapping)]
        content = next((str(row.get("content") or "") for row in history if row.get("type") == "Create"), "")
        comments = [RemoteComment(id=str(row.get("id")), body=strip_quoted(str(row.get("content") or "")),
                                  visibility=MESSAGES[str(row.get("type"))], author=str(row.get("creator") or ""),
                                  created_at=str(row.get("created") or ""))
                    for row in history if row.get("type") in MESSAGES and row.get("creator") != self.me]
        ticket_id = rt_id(record["id"])
        tag = REF_TAG.search(str(record.get("Subject") or ""))
        remote = RemoteRecord(kind=kind, external_id=ticket_id, fields=self._fields(record, rules, content),
                              version=str(payload.get("version") or "") or None,
                              updated_at=w3c_time(record.get("LastUpdated")), url=self._url(ticket_id),
                              our_ref=tag.group(1) if tag else None, comments=comments,
                              attachments=[file for file in (RemoteAttachment.load(item) for item in
                                                             payload.get("attachments") or []
                                                             if isinstance(item, Mapping))
                                           if file.author != self.me])
        draft = draft_for(remote, rules)
        draft.custom_fields["rt_ticket"] = ticket_id
        requestors = [as_text(who) for who in record.get("Requestor") or []]
        draft.requester_email = next((who for who in requestors if "@" in who), None)
        if draft.requester_email is None:  # an RT user without an address: the hub knows them as rt:<name>
            draft.requester_account = next((who for who in requestors if who.strip()), None)
        return draft
