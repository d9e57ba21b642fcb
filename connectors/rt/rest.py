"""Request Tracker's REST2 as the connector reads it: the client, searches, pages, a ticket
with its history and files, and RT's values (dates, ETags, text) in and out.

The pulling side (connectors.rt.pull) and the pushing side (connectors.rt.push) both build
on :class:`RTRest`; connectors.rt.connector puts them together.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

from connectors.rt.config import CF_PREFIX, CONTENT, REF_TAG, RT_TIME, SUBJECT_MAX, UNSET_DATE, W3C_TIME, ref_tag
from hub.sdk import FatalError, HttpClient
from hub.sdk.mailhtml import html_to_text
from hub.sdk.sync import FieldRule, RemoteAttachment, SyncConnector
from hub.sdk.sync_fields import hub_field, parse_moment

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


class RTRest(SyncConnector):
    """The REST2 plumbing and reads both sides share."""

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
        return " AND ".join([f"Queue = {quote(self.config['queue'])}", *clauses])

    def _rt_date(self, moment: datetime) -> str:
        # RT reads a date in a search in the API user's time zone, not as UTC.
        return aware(moment).astimezone(ZoneInfo(self.config["timezone"])).strftime(RT_TIME)

    def _url(self, ticket_id: str) -> str:
        return f"{self.site}/Ticket/Display.html?id={ticket_id}"

    def check_connection(self) -> str:
        page = self._search(self._in_queue(), per_page=1)
        total = page.get("total")
        counted = f", {total} tickets" if total is not None else ""
        return f"{self.site}: queue {self.config['queue']}{counted}"

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
                number = (as_int(page.get("page")) or 1) + 1
                url, asked = path, {**query, "page": str(number)}
            else:
                return items
        raise FatalError(f"{path}: more than {MAX_PAGES} pages")

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
            text = decoded(part.get("Content"))
            if text.strip():
                return html_to_text(text) if content_type == "text/html" else text
        return ""

    def _ticket_files(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's attachments that are files (have a Filename), of any transaction."""
        items = self._collection(f"/ticket/{ticket_id}/attachments", {"fields": FILE_FIELDS})
        return [item for item in items if as_text(item.get("Filename")) and rt_id(item.get("id"))]

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

    def _fields(self, record: Mapping[str, Any], rules: list[FieldRule], content: str | None) -> dict[str, str]:
        """The rules' fields in RT's own words, as the sync engine compares them."""
        fields: dict[str, str] = {}
        for rule in rules:
            if rule.remote == CONTENT:
                if content is not None:
                    fields[CONTENT] = content.strip()
            elif rule.remote == "Subject":
                fields["Subject"] = REF_TAG.sub("", as_text(record.get("Subject")))
            elif rule.remote.startswith(CF_PREFIX):
                fields[rule.remote] = level_of(rule, custom_value(record, rule.remote[len(CF_PREFIX):]))
            else:
                fields[rule.remote] = level_of(rule, as_text(record.get(rule.remote)))
        return fields


def rt_id(value: Any) -> str:
    """An id as text: REST2 gives ``"20"`` in one answer and ``20`` in another."""
    if isinstance(value, Mapping):
        value = value.get("id")
    text = str(value).strip() if value is not None else ""
    return str(int(text)) if text.isascii() and text.isdigit() else text


def as_text(value: Any) -> str:
    """A field as text: a user or queue reference by its id, a list of them joined, unset dates empty."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return rt_id(value)
    if isinstance(value, list):
        return ", ".join(as_text(item) for item in value)
    text = str(value)
    return "" if text == UNSET_DATE else text


def level_of(rule: FieldRule, value: str) -> str:
    """A value as the rule knows it: a number between the mapped ones is read as the
    nearest (RT's Priority 42 is 50, medium), a name as its number (RT 5 may say "High")."""
    if not rule.values_in or value in rule.values_in or value == "":
        return value
    numbers = [key for key in rule.values_in if as_int(key) is not None]
    number = as_int(value)
    if number is not None and numbers:
        # The nearest; a tie goes to the higher level, the safer side for urgency.
        return min(numbers, key=lambda key: (abs(int(key) - number), -int(key)))
    by_name = {hub.lower(): remote for remote, hub in rule.values_in.items()}
    return by_name.get(value.lower(), value)


def outgoing(value: str) -> Any:
    return int(value) if value.isascii() and value.lstrip("-").isdigit() else value


def custom_value(record: Mapping[str, Any], name: str) -> str:
    """A custom field's values on a ticket (REST2's ``CustomFields`` list), joined; empty
    when it has none (or the queue has no such field: see :func:`has_custom_field`)."""
    for item in record.get("CustomFields") or []:
        if isinstance(item, Mapping) and str(item.get("name") or "") == name:
            return ", ".join(str(value) for value in item.get("values") or [] if value is not None)
    return ""


def has_custom_field(record: Mapping[str, Any], name: str) -> bool:
    return any(isinstance(item, Mapping) and str(item.get("name") or "") == name
               for item in record.get("CustomFields") or [])


def rt_body(rules: list[FieldRule], values: Mapping[str, str]) -> dict[str, Any]:
    """Values in the sync's words as REST2 takes them in a create or an update: custom
    fields under ``CustomFields``, a moment as ``YYYY-MM-DD HH:MM:SS`` in UTC (how RT stores
    dates; REST2 answers them as W3C UTC, the sync's own form), numbers as numbers."""
    moments = {rule.remote for rule in rules if hub_field(rule.field).kind == "moment"}
    body: dict[str, Any] = {}
    for remote, value in values.items():
        if remote.startswith(CF_PREFIX):
            body.setdefault("CustomFields", {})[remote[len(CF_PREFIX):]] = value
        elif remote in moments:
            body[remote] = parse_moment(value).strftime(RT_TIME) if value else UNSET_DATE_INPUT
        else:
            body[remote] = outgoing(value)
    return body


UNSET_DATE_INPUT = "1970-01-01 00:00:00"
"""How a date is cleared: RT's "Not set"."""


def fit_subject(subject: str) -> str:
    room = SUBJECT_MAX - len(ref_tag("INC-000000000000"))  # room for the tag of any reference
    return subject if len(subject) <= room else subject[: room - 1] + "\u2026"


def same_text(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))


def confirms_change(field: str, message: str) -> bool:
    return re.search(rf"\b{re.escape(field)}\b.*\bchanged\b", message, re.IGNORECASE) is not None


def answer_text(response: requests.Response) -> str:
    """RT's messages in an answer, for an error."""
    try:
        answer = response.json()
    except ValueError:
        return f"answered {response.status_code} without JSON"
    messages = [str(item) for item in answer] if isinstance(answer, list) else [str(answer)]
    return f"answered {response.status_code}: {'; '.join(messages) or 'no message'}"


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def decoded(content: Any) -> str:
    text = str(content or "")
    try:
        return base64.b64decode(text, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return text


def as_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def version_of(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def w3c_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), W3C_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def cursor_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), RT_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def key_prefix(key: str) -> str:
    return key.rsplit(":", 1)[0]


def key_time(key: str) -> datetime | None:
    return w3c_time(key_prefix(key).partition(":")[2])

