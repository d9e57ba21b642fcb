"""The ServiceNow connector: polls changed records in, pushes hub changes out.

Pull: ``sys_updated_on >= cursor - overlap`` ordered by ``sys_updated_on``, paged by
offset; each version is one event keyed ``table:sys_id:sys_mod_count``, so the overlap
and a repeated page cost nothing. Journal entries (``comments`` public, ``work_notes``
internal) of each page come in one query and travel with their record.

Files: each fresh record's attachments (Attachment API) travel with it, fetched once per
attachment id. A file attached later does not change its record in ServiceNow, so a second
pass reads attachments created since its own cursor and sends their records again.

Push: our reference goes in ``correlation_id``. A create first searches for it, so a
create whose answer was lost (timeout, worker killed) is found, never made twice. An
update reads the record first and leaves alone any field the remote changed since the
last sync: the next poll resolves that conflict by the field's policy, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.servicenow.config import (
    DEFAULT_EFFECTS,
    DEFAULT_RULES,
    OUR_REF,
    SN_TIME,
    TABLE_OF_KIND,
    TABLES,
    ServiceNowConfig,
)
from connectors.servicenow.values import api_values, missing, read_names, refuse_missing, words
from connectors.servicenow.writes import ATTACHMENT_FIELDS, JOURNAL, add_entry, attach
from hub.sdk import (
    Checkpoint,
    EventInfo,
    FatalError,
    HttpClient,
    OutboundMessage,
    PushResult,
    RawEvent,
    SkippableError,
    TicketDraft,
)
from hub.sdk.sync import (
    FieldRule,
    RemoteAttachment,
    RemoteComment,
    RemoteRecord,
    SyncConnector,
    draft_for,
    outbound_values,
    values_hash,
)
from hub.sdk.write_effects import OWN_EFFECTS, WriteEffect, changed_remotely

IN_CHUNK = 100  # sys_ids per IN query: keeps the URL well under ServiceNow's limits
VISIBILITY = {"comments": "public", "work_notes": "internal"}
RECENT_KEPT = 5000


class ServiceNowConnector(SyncConnector):
    slug = "servicenow"
    title = "ServiceNow"
    version = "0.1.0"
    description = "Two-way sync of incidents and change requests with ServiceNow (Table API)."
    config_schema = ServiceNowConfig
    default_field_rules: ClassVar[tuple[FieldRule, ...]] = DEFAULT_RULES
    default_write_effects: ClassVar[tuple[WriteEffect, ...]] = DEFAULT_EFFECTS

    # -- plumbing ------------------------------------------------------------------------

    def make_client(self) -> HttpClient:
        token = self.config.get("token")
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        auth = None if token else (self.config.get("username") or "", self.config.get("password") or "")
        return self.http(str(self.config["instance_url"]).rstrip("/"), headers=headers, auth=auth,
                         timeout=self.timeout)

    @property
    def me(self) -> str:
        return str(self.config.get("integration_user") or self.config.get("username") or "")

    def _fields(self) -> str:
        mapped = read_names(self.rules())
        requesters = {f"{field}{column}" for field in REQUESTER.values() for column in ("", ".email", ".name")}
        return ",".join(sorted(mapped | requesters | {"sys_id", "number", "sys_mod_count", "sys_updated_on",
                                                     "correlation_id"}))

    def _list(self, table: str, query: str, *, limit: int, offset: int = 0, fields: str | None = None) -> list[Any]:
        params = {"sysparm_query": query, "sysparm_limit": str(limit), "sysparm_offset": str(offset),
                  "sysparm_exclude_reference_link": "true", "sysparm_no_count": "true",
                  "sysparm_display_value": "false"}
        if fields:
            params["sysparm_fields"] = fields
        result = self.client.get(f"/api/now/table/{table}", params=params).json().get("result")
        if not isinstance(result, list):
            raise FatalError(f"ServiceNow answered {table} without a result list")
        return result

    def _one(self, response: Any) -> dict[str, Any]:
        result = response.json().get("result")
        if not isinstance(result, dict):
            raise FatalError("ServiceNow answered without a record")
        return result

    def check_connection(self) -> str:
        for table in self.config["tables"]:
            self._list(table, "", limit=1, fields="sys_id")
        return f"{self.config['instance_url']}: read {', '.join(self.config['tables'])}"

    # -- pull ----------------------------------------------------------------------------

    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint]:
        cursors: dict[str, str] = dict(state.get("cursors") or {})
        # Versions already read inside the overlap window: skipped here, so a resumed poll
        # repeats nothing (and anything beyond this list is still a duplicate by its key).
        recent: dict[str, list[str]] = {table: list(keys) for table, keys in (state.get("recent") or {}).items()}
        files: dict[str, str] = dict(state.get("attachment_cursors") or {})
        shipped: list[str] = list(state.get("attachments_shipped") or [])
        limit = int(self.config["page_size"])

        def checkpoint() -> Checkpoint:
            return Checkpoint({"cursors": dict(cursors), "recent": {k: list(v) for k, v in recent.items()},
                               "attachment_cursors": dict(files), "attachments_shipped": list(shipped)})

        for table in self.config["tables"]:
            query = "ORDERBYsys_updated_on"
            since = self._since(cursors.get(table))
            if since:
                # A plain date-time in a query is UTC (a gs.dateGenerate() one would be the user's zone).
                query = f"sys_updated_on>={since}^{query}"
            seen = set(recent.get(table) or [])
            window: list[tuple[str, str]] = []
            offset = 0
            while True:
                page = self._list(table, query, limit=limit, offset=offset, fields=self._fields())
                if not page:
                    break
                fresh = [record for record in page if _key(table, record) not in seen]
                yield from self._events(table, fresh, shipped)
                window.extend((str(record.get("sys_updated_on") or ""), _key(table, record)) for record in page)
                cursors[table] = max(cursors.get(table) or "", max(updated for updated, _ in window))
                recent[table] = self._within_overlap(cursors[table], window, seen)
                yield checkpoint()
                if len(page) < limit:
                    break
                offset += limit
            if self.syncs_attachments:
                yield from self._new_files(table, files, shipped, cursors.get(table))
                yield checkpoint()

    def _events(self, table: str, records: list[dict[str, Any]], shipped: list[str],
                suffix: str = "") -> Iterator[RawEvent]:
        """One event per record version, with its journal and its files not sent before."""
        sys_ids = [str(record.get("sys_id")) for record in records]
        if not sys_ids:
            return  # an empty IN list would match every file of the instance
        journal = self._journal(sys_ids)
        found = self._attachments(f"table_sys_idIN{','.join(sys_ids)}") if self.syncs_attachments else {}
        for record in records:
            sys_id = str(record.get("sys_id") or "")
            files = self.ship_attachments(found.get(sys_id, []), self._download, shipped)
            if suffix and not files:
                continue
            yield RawEvent(idempotency_key=_key(table, record) + suffix,
                           payload={"table": table, "record": record, "journal": journal.get(sys_id, []),
                                    "attachments": files})

    def _new_files(self, table: str, cursors: dict[str, str], shipped: list[str],
                   record_cursor: str | None) -> Iterator[RawEvent]:
        """Files attached since the last poll to records this poll did not send: their
        records go again, keyed by the newest file (the engine keeps the files of a
        version it has already applied)."""
        if table not in cursors:
            # First poll: the record pass sent every record with its files; start here.
            cursors[table] = record_cursor or datetime.now(UTC).strftime(SN_TIME)
            return
        since = self._since(cursors[table])
        found = self._attachments(f"table_name={table}^sys_created_on>={since}^ORDERBYsys_created_on")
        rows = [item for items in found.values() for item in items]
        cursors[table] = max([cursors[table], *(item.created for item in rows)])
        waiting = sorted(sys_id for sys_id, items in found.items() if any(i.id not in shipped for i in items))
        for start in range(0, len(waiting), IN_CHUNK):
            chunk = waiting[start:start + IN_CHUNK]
            records = self._list(table, f"sys_idIN{','.join(chunk)}", limit=len(chunk), fields=self._fields())
            newest = {sys_id: max((item.created, item.id) for item in found[sys_id])[1] for sys_id in chunk}
            for record in records:
                yield from self._events(table, [record], shipped, suffix=f":file:{newest[str(record['sys_id'])]}")

    def _within_overlap(self, cursor: str, window: list[tuple[str, str]], seen: set[str]) -> list[str]:
        start = self._since(cursor) or ""
        fresh = [key for updated, key in sorted(window, reverse=True) if updated >= start]
        # The newest first: past the cap, older repeats are still recognised by their keys.
        return list(dict.fromkeys(fresh + sorted(seen - set(fresh))))[:RECENT_KEPT]

    def _since(self, cursor: str | None) -> str | None:
        if cursor:
            moment = datetime.strptime(cursor, SN_TIME) - timedelta(seconds=int(self.config["overlap_seconds"]))
            return moment.strftime(SN_TIME)
        start = self.config.get("import_since")
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        if isinstance(start, datetime):
            return (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC).strftime(SN_TIME)
        return None

    def _journal(self, sys_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        if not sys_ids:
            return found
        query = f"element_idIN{','.join(sys_ids)}^elementINcomments,work_notes^ORDERBYsys_created_on"
        offset, limit = 0, 1000
        while True:
            rows = self._list(JOURNAL, query, limit=limit, offset=offset,
                              fields="sys_id,element,element_id,value,sys_created_by,sys_created_on")
            for row in rows:
                found.setdefault(str(row.get("element_id")), []).append(row)
            if len(rows) < limit:
                return found
            offset += limit

    def _attachments(self, query: str) -> dict[str, list[_File]]:
        """Files matching ``query`` by their record's sys_id, except the hub's own uploads."""
        found: dict[str, list[_File]] = {}
        offset, limit = 0, 1000
        while True:
            params = {"sysparm_query": query, "sysparm_limit": str(limit), "sysparm_offset": str(offset),
                      "sysparm_fields": ATTACHMENT_FIELDS}
            rows = self.client.get("/api/now/attachment", params=params).json().get("result")
            if not isinstance(rows, list):
                raise FatalError("ServiceNow answered the attachment list without a result list")
            for row in rows:
                if str(row.get("sys_created_by") or "") == self.me:
                    continue
                size = str(row.get("size_bytes") or "")
                found.setdefault(str(row.get("table_sys_id")), []).append(_File(
                    id=str(row.get("sys_id")), filename=str(row.get("file_name") or "attachment"),
                    content_type=str(row.get("content_type") or "application/octet-stream"),
                    size=int(size) if size.isdigit() else None, author=str(row.get("sys_created_by") or ""),
                    created=str(row.get("sys_created_on") or "")))
            if len(rows) < limit:
                return found
            offset += limit

    def _download(self, item: RemoteAttachment) -> bytes:
        return bytes(self.client.get(f"/api/now/attachment/{item.id}/file", headers={"Accept": "*/*"}).content)

    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = event.payload or {}
        table = payload.get("table")
        record = payload.get("record")
        if table not in TABLES or not isinstance(record, Mapping) or not record.get("sys_id"):
            raise SkippableError("not a ServiceNow record event")
        kind = TABLES[table]
        rules = self.rules(kind)
        fields = words(record, rules, reading=True)
        comments = [RemoteComment(id=str(row.get("sys_id")), body=str(row.get("value") or ""),
                                  visibility=VISIBILITY.get(str(row.get("element")), "internal"),
                                  author=str(row.get("sys_created_by") or ""),
                                  created_at=str(row.get("sys_created_on") or ""))
                    for row in payload.get("journal") or []
                    if str(row.get("sys_created_by") or "") != self.me]  # our own, written by push
        ref = str(record.get("correlation_id") or "")
        remote = RemoteRecord(kind=kind, external_id=str(record["sys_id"]), fields=fields,
                              version=str(record.get("sys_mod_count") or "0"),
                              updated_at=_sn_time(record.get("sys_updated_on")), url=self._url(table, record),
                              our_ref=ref if OUR_REF.match(ref) else None, comments=comments,
                              attachments=[RemoteAttachment.load(item) for item in payload.get("attachments") or []])
        draft = draft_for(remote, rules)
        if record.get("number"):
            draft.custom_fields["servicenow_number"] = str(record["number"])
        _requester(draft, record, REQUESTER[table])
        return draft

    def _url(self, table: str, record: Mapping[str, Any]) -> str:
        return f"{str(self.config['instance_url']).rstrip('/')}/{table}.do?sys_id={record.get('sys_id')}"

    # -- push ----------------------------------------------------------------------------

    def push(self, message: OutboundMessage) -> PushResult:
        ticket = message.ticket
        if ticket is None:
            return PushResult(detail="no ticket to send")
        table = TABLE_OF_KIND.get(ticket.kind)
        if table is None or table not in self.config["tables"]:
            return PushResult(detail=f"{ticket.kind} tickets are not synced with this instance")
        rules = self.rules(ticket.kind)
        wanted = outbound_values(rules, ticket)
        if message.link is None:
            record = self._find_ours(table, ticket.ref) or self._one(self.client.post(
                f"/api/now/table/{table}", params={"sysparm_fields": self._fields()},
                json={**api_values(self, rules, {k: v for k, v in wanted.items() if v}),
                      "correlation_id": ticket.ref, "correlation_display": "itsm-hub"}))
            refuse_missing(table, missing(words(record, rules), wanted), rules)
            synced = words(record, rules)
            detail = f"linked to {record.get('number')}"
            data: dict[str, Any] = {"synced": synced}
            if message.action == "comment":
                detail += "; " + add_entry(self, table, str(record["sys_id"]), message, data)
            elif message.action == "attachment":
                detail += "; " + attach(self, table, str(record["sys_id"]), message)
            return PushResult(external_id=str(record["sys_id"]), url=self._url(table, record),
                              synced_hash=values_hash(synced), data=data, detail=detail)
        sys_id = message.link.external_id
        if message.action == "comment":
            data = {}
            return PushResult(detail=add_entry(self, table, sys_id, message, data), data=data)
        if message.action == "attachment":
            return PushResult(detail=attach(self, table, sys_id, message))
        synced = dict((message.link.data or {}).get("synced") or {})
        own = (message.link.data or {}).get(OWN_EFFECTS)
        record = self._one(self.client.get(f"/api/now/table/{table}/{sys_id}",
                                           params={"sysparm_fields": self._fields()}))
        current = words(record, rules)
        refuse_missing(table, missing(current, wanted), rules)
        send: dict[str, str] = {}
        for remote, value in wanted.items():
            now = current[remote]
            if now == value:
                synced[remote] = value
            elif changed_remotely(remote, now, synced, own):
                continue  # changed remotely too: the next poll settles it by the field's policy
            else:
                send[remote] = value
        if send:
            self.client.patch(f"/api/now/table/{table}/{sys_id}", json=api_values(self, rules, send))
            synced.update(send)
        return PushResult(synced_hash=values_hash(synced), data={"synced": synced},
                          detail=f"sent {', '.join(sorted(send))}" if send else "already in step")

    def _find_ours(self, table: str, ref: str) -> dict[str, Any] | None:
        found = self._list(table, f"correlation_id={ref}", limit=1, fields=self._fields())
        return found[0] if found else None

@dataclass
class _File(RemoteAttachment):
    created: str = ""


#: The field naming who asked, per table: an incident's caller, a change's requester.
REQUESTER = {"incident": "caller_id", "change_request": "requested_by"}


def _requester(draft: TicketDraft, record: Mapping[str, Any], field: str) -> None:
    """Who asked, as the hub knows customers: by address when their user record has one, else
    by the user's sys_id (a record the hub created has no caller: no one to name)."""
    if not record.get(field):
        return
    name, email = str(record.get(f"{field}.name") or "").strip(), str(record.get(f"{field}.email") or "").strip()
    if name:
        draft.requester_name = name[:200]
    if "@" in email:
        draft.requester_email = email
    else:
        draft.requester_account = str(record[field])


def _key(table: str, record: Mapping[str, Any]) -> str:
    return f"{table}:{record.get('sys_id')}:{record.get('sys_mod_count')}"


def _sn_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), SN_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None
