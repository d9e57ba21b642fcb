"""The RT side of a real-RT test: an RT agent acting through REST2, and what RT holds.

The agent is RT's ``root`` (a superuser, so collections answer with totals and it may make
queues); the hub works as its own user ``hub``. What a test checks in RT it reads here,
from RT's own answers: tickets, their history, each message's text and files.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import requests

from tests.support.rt_server import RealRT

MESSAGE_TYPES = ("Correspond", "Comment")
File = tuple[str, str, bytes]
"""(name, content type, bytes)."""


def _name(value: Any) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value or "")


class RTAgent:
    def __init__(self, rt: RealRT, token: str | None = None) -> None:
        self.base = f"{rt.url}/REST/2.0"
        self.session = requests.Session()
        self.session.headers.update(Authorization=f"token {token or rt.agent_token}", Accept="application/json")

    def call(self, method: str, path: str, *, ok: Sequence[int] = (200, 201), **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        response = self.session.request(method, url, timeout=120, **kwargs)
        assert response.status_code in ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response

    def create_queue(self, name: str) -> str:
        self.call("POST", "/queue", json={"Name": name})
        return name

    def create_ticket(self, queue: str, subject: str, *, requestor: Sequence[str] = (), content: str | None = None,
                      priority: int | None = None, files: Sequence[File] = ()) -> int:
        body: dict[str, Any] = {"Queue": queue, "Subject": subject, "Requestor": list(requestor)}
        if content is not None:
            body.update(Content=content, ContentType="text/plain")
        if priority is not None:
            body["Priority"] = priority
        if files:
            body["Attachments"] = _attachments(files)
        return int(self.call("POST", "/ticket", json=body).json()["id"])

    def correspond(self, ticket_id: int, text: str, files: Sequence[File] = ()) -> int:
        return self._message(ticket_id, "correspond", text, files)

    def comment(self, ticket_id: int, text: str, files: Sequence[File] = ()) -> int:
        return self._message(ticket_id, "comment", text, files)

    def _message(self, ticket_id: int, endpoint: str, text: str, files: Sequence[File]) -> int:
        body: dict[str, Any] = {"Content": text, "ContentType": "text/plain"}
        if files:
            body["Attachments"] = _attachments(files)
        answer = self.call("POST", f"/ticket/{ticket_id}/{endpoint}", json=body)
        return int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])

    def update(self, ticket_id: int, **fields: Any) -> list[str]:
        return list(self.call("PUT", f"/ticket/{ticket_id}", json=fields).json())

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/ticket/{ticket_id}").json())

    def status(self, ticket_id: int) -> str:
        return str(self.ticket(ticket_id)["Status"])

    def tickets(self, queue: str) -> list[dict[str, Any]]:
        query = {"query": f"Queue = '{queue}'", "fields": "Subject,Status,Priority", "per_page": "100",
                 "orderby": "id"}
        return list(self.call("GET", "/tickets", params=query).json()["items"])

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every transaction of the ticket, oldest first, with its type, creator and change."""
        rows: list[dict[str, Any]] = []
        url: str | None = f"/ticket/{ticket_id}/history"
        params: dict[str, str] | None = {"fields": "Type,Creator,Created,Field,OldValue,NewValue",
                                         "per_page": "100"}
        while url:
            page = self.call("GET", url, params=params).json()
            rows += [{**row, "Creator": _name(row.get("Creator"))} for row in page["items"]]
            url, params = page.get("next_page"), None
        return rows

    def text(self, txn_id: int | str) -> str:
        """A transaction's message: its first plain-text part without a file name."""
        txn = self.call("GET", f"/transaction/{txn_id}").json()
        for link in txn.get("_hyperlinks") or []:
            if link.get("ref") != "attachment":
                continue
            part = self.call("GET", link["_url"]).json()
            if not part.get("Filename") and str(part.get("ContentType", "")).startswith("text/plain"):
                return base64.b64decode(part.get("Content") or "").decode().strip()
        return ""

    def messages(self, ticket_id: int) -> list[tuple[str, str, str]]:
        """The ticket's replies and comments: (type, creator, text)."""
        return [(row["Type"], row["Creator"], self.text(row["id"])) for row in self.history(ticket_id)
                if row["Type"] in MESSAGE_TYPES]

    def files(self, ticket_id: int) -> list[tuple[str, str, str, bytes]]:
        """The ticket's files: (transaction type, creator, name, bytes), oldest first."""
        types = {str(row["id"]): row["Type"] for row in self.history(ticket_id)}
        listed = self.call("GET", f"/ticket/{ticket_id}/attachments",
                           params={"fields": "Filename,TransactionId,Creator", "per_page": "100"}).json()["items"]
        found = []
        for item in listed:
            if not item.get("Filename"):
                continue
            data = base64.b64decode(self.call("GET", f"/attachment/{item['id']}").json().get("Content") or "")
            found.append((types.get(str(item["TransactionId"]), "?"), _name(item.get("Creator")), item["Filename"],
                          data))
        return found

    def count_transactions(self, creator: str, after: int = 0) -> int:
        """How many ticket transactions ``creator`` made after transaction ``after``."""
        query = f"Creator = '{creator}' AND ObjectType = 'RT::Ticket' AND id > {after}"
        return int(self.call("GET", "/transactions", params={"query": query, "per_page": "1"}).json()["total"])

    def last_transaction(self) -> int:
        page = self.call("GET", "/transactions", params={"query": "id > 0", "orderby": "id", "order": "DESC",
                                                          "per_page": "1"}).json()
        return int(page["items"][0]["id"]) if page["items"] else 0


def _attachments(files: Sequence[File]) -> list[dict[str, str]]:
    return [{"FileName": name, "FileType": kind, "FileContent": base64.b64encode(data).decode()}
            for name, kind, data in files]
