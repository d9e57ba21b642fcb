"""The ServiceNow Attachment API of the double (``/api/now/attachment``).

Documented behaviours implemented (docs.servicenow.com, "Attachment API", Washington DC
to Zurich):

* ``GET /api/now/attachment`` lists ``sys_attachment`` metadata; ``sysparm_query``,
  ``sysparm_limit`` (default 1000) and ``sysparm_offset`` as in the Table API. Each entry
  has ``sys_id``, ``file_name``, ``content_type``, ``size_bytes`` (a string, like every
  value), ``table_name``, ``table_sys_id``, ``download_link``, ``sys_created_on`` (UTC)
  and ``sys_created_by``.
* ``GET /api/now/attachment/{sys_id}`` the metadata of one; ``GET .../{sys_id}/file`` its
  content with its own Content-Type; ``DELETE .../{sys_id}`` 204. Unknown id: 404.
* ``POST /api/now/attachment/file?table_name=&table_sys_id=&file_name=`` with the file as
  the raw body and its type in ``Content-Type``: 201 with ``{"result": metadata}`` and a
  ``Location``. A missing parameter or record is a 400.
* Attaching a file does not touch its record: ``sys_updated_on`` and ``sys_mod_count``
  stay as they were (a client that only polls records never sees a new file).

Left out: ``/now/attachment/upload`` (multipart), encryption contexts, image thumbnails.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Flask, Response, request

from tests.fakes.base import json_response
from tests.fakes.sn_query import parse_encoded_query

ATTACHMENT_COLUMNS = frozenset({
    "sys_id", "file_name", "content_type", "size_bytes", "size_compressed", "table_name", "table_sys_id",
    "hash", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by", "sys_mod_count",
})
NUMERIC = frozenset({"size_bytes", "size_compressed", "sys_mod_count"})


class AttachmentStore:
    """Files of a ServiceNowFake; its lock guards them like the tables."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.rows: dict[str, dict[str, str]] = {}
        self.content: dict[str, bytes] = {}
        self.downloads: list[str] = []
        """Ids whose content was fetched, in order: tests check what a client downloaded."""

    # -- control API (tests) ------------------------------------------------------------

    def attach(self, table: str, sys_id: str, file_name: str, data: bytes, *,
               content_type: str = "application/octet-stream", user: str = "remote.user") -> dict[str, str]:
        with self.fake.lock:
            return dict(self._insert(table, sys_id, file_name, data, content_type, user))

    def of(self, sys_id: str) -> list[dict[str, str]]:
        with self.fake.lock:
            return [dict(row) for row in self.rows.values() if row["table_sys_id"] == sys_id]

    def file(self, attachment_id: str) -> bytes:
        with self.fake.lock:
            return self.content[attachment_id]

    def _insert(self, table: str, sys_id: str, file_name: str, data: bytes, content_type: str,
                user: str) -> dict[str, str]:
        now = self.fake._now()
        row = {
            "sys_id": uuid.uuid4().hex, "file_name": file_name, "content_type": content_type,
            "size_bytes": str(len(data)), "size_compressed": str(len(data)), "table_name": table,
            "table_sys_id": sys_id, "hash": hashlib.sha256(data).hexdigest(), "sys_created_on": now,
            "sys_created_by": user, "sys_updated_on": now, "sys_updated_by": user, "sys_mod_count": "0",
        }
        self.rows[row["sys_id"]] = row
        self.content[row["sys_id"]] = data
        return row

    # -- HTTP -----------------------------------------------------------------------------

    def install(self, app: Flask) -> None:
        for prefix in ("/api/now/attachment", "/api/now/<version>/attachment"):
            app.add_url_rule(prefix, view_func=self._list, methods=["GET"], endpoint=f"att-list{prefix}")
            app.add_url_rule(f"{prefix}/file", view_func=self._upload, methods=["POST"], endpoint=f"att-up{prefix}")
            app.add_url_rule(f"{prefix}/<attachment_id>", view_func=self._one, methods=["GET", "DELETE"],
                             endpoint=f"att-one{prefix}")
            app.add_url_rule(f"{prefix}/<attachment_id>/file", view_func=self._file, methods=["GET"],
                             endpoint=f"att-file{prefix}")

    def _present(self, row: dict[str, str]) -> dict[str, str]:
        base = request.host_url.rstrip("/")
        return {**row, "download_link": f"{base}/api/now/attachment/{row['sys_id']}/file"}

    def _list(self, version: str | None = None) -> Response:
        args = request.args
        limit = max(1, int(args.get("sysparm_limit") or 1000))
        offset = max(0, int(args.get("sysparm_offset") or 0))
        with self.fake.lock:
            query = parse_encoded_query(args.get("sysparm_query", ""), known_fields=ATTACHMENT_COLUMNS,
                                        user_tz=ZoneInfo(self.fake.user_timezone))
            rows = query.sort([copy.copy(r) for r in self.rows.values() if query.matches(r, NUMERIC)], NUMERIC)
            page = [self._present(row) for row in rows[offset:offset + limit]]
        return json_response({"result": page}, headers={"X-Total-Count": str(len(rows))})

    def _one(self, attachment_id: str, version: str | None = None) -> Response:
        with self.fake.lock:
            row = self.rows.get(attachment_id)
            if row is None:
                return self.fake.error_response(404, "Record doesn't exist or ACL restricts the record retrieval")
            if request.method == "DELETE":
                del self.rows[attachment_id]
                del self.content[attachment_id]
                return Response(status=204)
            return json_response({"result": self._present(row)})

    def _file(self, attachment_id: str, version: str | None = None) -> Response:
        with self.fake.lock:
            row = self.rows.get(attachment_id)
            if row is None:
                return self.fake.error_response(404, "Record doesn't exist or ACL restricts the record retrieval")
            self.downloads.append(attachment_id)
            data = self.content[attachment_id]
        disposition = f"attachment; filename*=UTF-8''{quote(row['file_name'])}"
        return Response(data, status=200, content_type=row["content_type"],
                        headers={"Content-Disposition": disposition})

    def _upload(self, version: str | None = None) -> Response:
        args = request.args
        for name in ("table_name", "table_sys_id", "file_name"):
            if not args.get(name):
                return self.fake.error_response(400, f"Missing parameter: {name}")
        table, sys_id = args["table_name"], args["table_sys_id"]
        content_type = request.headers.get("Content-Type") or ""
        if not content_type:
            return self.fake.error_response(400, "Content-Type header is required")
        with self.fake.lock:
            if sys_id not in self.fake._tables.get(table, {}):
                return self.fake.error_response(400, "Invalid table name or sys_id")
            row = self._insert(table, sys_id, args["file_name"], request.get_data(), content_type,
                               self.fake._user())
            result = self._present(row)
        location = f"{request.host_url.rstrip('/')}/api/now/attachment/{row['sys_id']}"
        return json_response({"result": result}, 201, {"Location": location})
