"""What the ServiceNow connector writes besides fields: journal entries and files.

Each write may be a repeat of one that reached ServiceNow already (its answer was lost,
or the worker died before recording it): an attempt above 1 looks for the earlier copy
by the integration user, made since the change was queued, before writing. A first
attempt cannot have one and reads nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.servicenow.config import SN_TIME
from connectors.servicenow.values import words
from hub.sdk import OutboundMessage
from hub.sdk.sync import earliest_copy, outbound_file, remote_visibility
from hub.sdk.write_effects import OBSERVED

if TYPE_CHECKING:
    from connectors.servicenow.connector import ServiceNowConnector

JOURNAL = "sys_journal_field"
ATTACHMENT_FIELDS = "sys_id,file_name,content_type,size_bytes,table_sys_id,sys_created_by,sys_created_on"
OWN_ENTRIES_CHECKED = 20
"""How many of our latest journal entries of a kind a repeated comment is compared with."""


def add_entry(sn: ServiceNowConnector, table: str, sys_id: str, message: OutboundMessage,
              data: dict[str, Any]) -> str:
    """Add a work note or comment; ``data`` gets the record's fields as the write left them
    (``observed``: the business rules have run by the answer)."""
    comment = message.payload.get("comment") or {}
    body = str(comment.get("body") or "").strip()
    if not body:
        return "empty comment; nothing sent"
    element = "work_notes" if remote_visibility(comment) == "internal" else "comments"
    if message.attempt > 1 and _already_noted(sn, sys_id, element, body, earliest_copy(message)):
        return f"{element} entry already there (an earlier answer was lost)"
    after = sn._one(sn.client.patch(f"/api/now/table/{table}/{sys_id}", json={element: body},
                                    params={"sysparm_fields": sn._fields()}))
    data[OBSERVED] = words(after, sn.rules())
    return f"{element} entry added"


def _already_noted(sn: ServiceNowConnector, sys_id: str, element: str, body: str, since: datetime | None) -> bool:
    """Whether one of our latest journal entries of this kind on the record holds this text."""
    rows = sn._list(JOURNAL, f"element_id={sys_id}^element={element}^sys_created_by={sn.me}"
                    f"{_created_since(since)}^ORDERBYDESCsys_created_on", limit=OWN_ENTRIES_CHECKED, fields="value")
    return any(str(row.get("value") or "").strip() == body for row in rows)


def attach(sn: ServiceNowConnector, table: str, sys_id: str, message: OutboundMessage) -> str:
    sending = outbound_file(message)
    if sending is None or not sn.syncs_attachments:
        return "attachments are not synced"
    file, visibility = sending
    if visibility == "internal":
        return f"internal file {file.filename} kept in the hub: ServiceNow attachments have no visibility"
    name = file.filename
    there = _attached(sn, sys_id, name, len(file.data), earliest_copy(message)) if message.attempt > 1 else None
    if there is not None:
        return f"{name} already attached ({there})"
    created = sn._one(sn.client.post(
        "/api/now/attachment/file", params={"table_name": table, "table_sys_id": sys_id, "file_name": name},
        data=file.data, headers={"Content-Type": file.content_type or "application/octet-stream"}))
    return f"attached {name} ({created.get('sys_id')})"


def _attached(sn: ServiceNowConnector, sys_id: str, name: str, size: int, since: datetime | None) -> str | None:
    """The id of a file of this name and size we already attached to the record."""
    for row in sn.client.get("/api/now/attachment", params={
            "sysparm_query": f"table_sys_id={sys_id}^file_name={name}^sys_created_by={sn.me}{_created_since(since)}",
            "sysparm_fields": ATTACHMENT_FIELDS}).json().get("result") or []:
        if str(row.get("size_bytes")) == str(size):
            return str(row.get("sys_id"))
    return None


def _created_since(since: datetime | None) -> str:
    """A query term for rows made since then (a plain date-time in a query is UTC)."""
    return f"^sys_created_on>={since.astimezone(UTC).strftime(SN_TIME)}" if since is not None else ""
