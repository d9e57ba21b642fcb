"""The HTTP surface of the RT double under ``/REST/2.0``. See ``tests.fakes.rt`` for sources."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request

from tests.fakes.base import install_gate, json_body, json_response, new_flask_app
from tests.fakes.rt import Attachment, File, RTFake, Transaction
from tests.fakes.rt_query import TicketSQLError, parse_ticketsql

PREFIX = "/REST/2.0"
UNSET = "1970-01-01T00:00:00Z"
TICKET_DATES = ("Created", "LastUpdated", "Started", "Resolved", "Due", "Starts")
ATTACHMENT_FIELDS = frozenset(
    {"Filename", "ContentType", "ContentLength", "Subject", "Parent", "TransactionId", "Creator", "Created",
     "ContentEncoding"}
)
TRANSACTION_FIELDS = (
    "Type",
    "Created",
    "Creator",
    "Field",
    "OldValue",
    "NewValue",
    "Data",
    "TimeTaken",
    "Object",
    "ObjectType",
    "ObjectId",
)


def w3c(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else UNSET


def build_app(fake: RTFake) -> Flask:
    app = new_flask_app("rt-fake")
    install_gate(app, fake)
    views = _Views(fake)
    rules: list[tuple[str, str, Callable[..., Response]]] = [
        ("/tickets", "GET", views.search),
        ("/ticket", "POST", views.create),
        ("/ticket/<int:ticket_id>", "GET", views.show),
        ("/ticket/<int:ticket_id>", "PUT", views.update),
        ("/ticket/<int:ticket_id>/correspond", "POST", views.correspond),
        ("/ticket/<int:ticket_id>/comment", "POST", views.comment),
        ("/ticket/<int:ticket_id>/history", "GET", views.history),
        ("/ticket/<int:ticket_id>/attachments", "GET", views.ticket_attachments),
        ("/transaction/<int:txn_id>", "GET", views.transaction),
        ("/transaction/<int:txn_id>/attachments", "GET", views.transaction_attachments),
        ("/attachment/<int:attachment_id>", "GET", views.attachment),
        ("/queues/all", "GET", views.queues),
    ]
    for path, method, view in rules:
        app.add_url_rule(PREFIX + path, endpoint=f"{method} {path}", view_func=view, methods=[method])
    return app


def _message(status: int, text: str) -> Response:
    return json_response({"message": text}, status)


class _Views:
    def __init__(self, fake: RTFake) -> None:
        self.fake = fake

    # -- representation -----------------------------------------------------------------

    def base(self) -> str:
        return request.host_url.rstrip("/") + PREFIX

    def uid(self, kind: str, ident: Any) -> dict[str, str]:
        # expand_uid() takes the id out of a string: it is always a string here.
        return {"type": kind, "id": str(ident), "_url": f"{self.base()}/{kind}/{ident}"}

    def ticket_fields(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Subject": ticket["Subject"],
            "Status": ticket["Status"],
            "Queue": self.uid("queue", ticket["Queue"]),
            "Owner": self.uid("user", ticket["Owner"]),
            "Creator": self.uid("user", ticket["Creator"]),
            "LastUpdatedBy": self.uid("user", ticket["LastUpdatedBy"]),
            "Priority": ticket["Priority"],
            "InitialPriority": ticket["InitialPriority"],
            "FinalPriority": ticket["FinalPriority"],
            "TimeWorked": ticket["TimeWorked"],
            "TimeLeft": ticket["TimeLeft"],
            "TimeEstimated": ticket["TimeEstimated"],
            "Type": ticket["Type"],
            "EffectiveId": self.uid("ticket", ticket["id"]),
            "CustomFields": [
                {**self.uid("customfield", cf_id), "name": name, "values": list(ticket["CustomFields"].get(cf_id, []))}
                for cf_id, name in self.fake.custom_fields.items()
            ],
        }
        for role in ("Requestor", "Cc", "AdminCc"):
            out[role] = [self.uid("user", address) for address in ticket[role]]
        for name in TICKET_DATES:
            out[name] = w3c(ticket[name])
        if ticket["Told"] is not None:  # RT leaves Told out until someone replied (a NULL column)
            out["Told"] = w3c(ticket["Told"])
        return out

    def transaction_fields(self, txn: Transaction) -> dict[str, Any]:
        return {
            "Type": txn.type,
            "Created": w3c(txn.created),
            "Creator": self.uid("user", txn.creator),
            "Field": txn.field,
            "OldValue": txn.old_value,
            "NewValue": txn.new_value,
            "Data": txn.data,
            "TimeTaken": txn.time_taken,
            "Object": self.uid("ticket", txn.ticket_id),
            "ObjectType": "RT::Ticket",
            "ObjectId": txn.ticket_id,
        }

    def collection(self, rows: Sequence[Any], item: Callable[[Any], dict[str, Any]], *, with_total: bool) -> Response:
        per_page = _positive(request.args.get("per_page"), 20)
        per_page = 100 if per_page > 100 else per_page
        page = _positive(request.args.get("page"), 1)
        chosen = rows[(page - 1) * per_page : page * per_page]
        # Without a total (RT counts only for a superuser, Collection.pm CurrentUserCanSeeAll)
        # "total" and "pages" are null, and there are no next_page/prev_page links.
        total = len(rows) if with_total else None
        pages = math.ceil(len(rows) / per_page) if with_total else None
        payload: dict[str, Any] = {"count": len(chosen), "page": page, "per_page": per_page, "total": total,
                                   "pages": pages}
        payload["items"] = [item(row) for row in chosen]
        if pages and page < pages:
            payload["next_page"] = self.page_url(page + 1)
        if pages and page > 1:
            payload["prev_page"] = self.page_url(min(page - 1, max(pages, 1)))
        return json_response(payload)

    @property
    def counts_all(self) -> bool:
        """Whether RT gives this user totals of transactions and attachments: only a
        superuser (SearchBuilder.pm CurrentUserCanSeeAll); ticket searches always count."""
        return self.user == "root"

    def page_url(self, page: int) -> str:
        pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        pairs.append(("page", str(page)))
        return f"{request.base_url}?{urlencode(pairs)}"

    def requested_fields(self) -> list[str]:
        return [f for raw in request.args.getlist("fields") for f in raw.split(",") if f]

    def ticket_or_404(self, ticket_id: int) -> dict[str, Any] | None:
        return self.fake._tickets.get(ticket_id)

    @property
    def user(self) -> str:
        return str(g.fake_user)

    # -- tickets ------------------------------------------------------------------------

    def search(self) -> Response:
        text = request.args.get("query", "")
        fields = self.requested_fields()
        with self.fake.lock:
            queues = {name.lower(): qid for qid, name in self.fake.queues.items()}
            try:
                predicate = parse_ticketsql(text, user_tz=ZoneInfo(self.fake.user_timezone), queues=queues)
            except TicketSQLError as exc:
                return _message(400, str(exc))
            tickets = [t for t in self.fake._tickets.values() if predicate(_query_view(t))]
            tickets = _ordered(tickets, request.args.getlist("orderby"), request.args.getlist("order"))

            def item(ticket: Mapping[str, Any]) -> dict[str, Any]:
                out: dict[str, Any] = self.uid("ticket", ticket["id"])
                full = self.ticket_fields(ticket)
                out.update({name: full[name] for name in fields if name in full})
                return out

            return self.collection(tickets, item, with_total=True)

    def create(self) -> Response:
        if not request.is_json:
            return _message(415, "Unsupported Media Type")
        body, problem = json_body()
        if problem or not isinstance(body, dict):
            return _message(400, f"Could not parse the JSON body: {problem or 'not an object'}")
        with self.fake.lock:
            ticket_id, refusal = self.fake.create(body, self.user)
            if refusal:
                return _message(400, refusal)
            # RT's Location is a path, not a URL.
            return json_response(self.uid("ticket", ticket_id), 201, {"Location": f"{PREFIX}/ticket/{ticket_id}"})

    def show(self, ticket_id: int) -> Response:
        with self.fake.lock:
            ticket = self.ticket_or_404(ticket_id)
            if ticket is None:
                return _message(404, "Not Found")
            etag = f'"{self.fake.last_transaction(ticket_id)}"'
            headers = {"ETag": etag, "Last-Modified": format_datetime(ticket["LastUpdated"], usegmt=True)}
            if etag in _tags(request.headers.get("If-None-Match")):
                response = Response(status=304)
                response.headers.update(headers)
                return response
            payload: dict[str, Any] = {"id": ticket_id, **self.ticket_fields(ticket)}
            url = f"{self.base()}/ticket/{ticket_id}"
            payload["_hyperlinks"] = [
                {"id": ticket_id, "ref": "self", "type": "ticket", "_url": url},
                {"ref": "history", "_url": f"{url}/history"},
                {"ref": "correspond", "_url": f"{url}/correspond"},
                {"ref": "comment", "_url": f"{url}/comment"},
            ]
            return json_response(payload, headers=headers)

    def update(self, ticket_id: int) -> Response:
        if not request.is_json:
            return _message(415, "Unsupported Media Type")
        body, problem = json_body()
        if problem or not isinstance(body, dict):
            return _message(400, f"Could not parse the JSON body: {problem or 'not an object'}")
        with self.fake.lock:
            ticket = self.ticket_or_404(ticket_id)
            if ticket is None:
                return _message(404, "Resource does not exist; use POST to create")
            if_match = request.headers.get("If-Match")
            current = f'"{self.fake.last_transaction(ticket_id)}"'
            if if_match is not None and "*" not in _tags(if_match) and current not in _tags(if_match):
                return _message(412, "Precondition Failed")
            since = request.headers.get("If-Unmodified-Since")
            if since and _unmodified_since_failed(ticket["LastUpdated"], since):
                return _message(412, "Precondition Failed")
            return json_response(self.fake.update(ticket_id, body, self.user))

    def correspond(self, ticket_id: int) -> Response:
        return self.message(ticket_id, "Correspond")

    def comment(self, ticket_id: int) -> Response:
        return self.message(ticket_id, "Comment")

    def message(self, ticket_id: int, kind: str) -> Response:
        mimetype = request.mimetype
        data: dict[str, Any]
        files: list[File] = []
        if mimetype in ("text/plain", "text/html"):
            data = {"Content": request.get_data(as_text=True), "ContentType": mimetype}
        elif mimetype == "application/json":
            body, problem = json_body()
            if problem or not isinstance(body, dict):
                return _message(400, f"Could not parse the JSON body: {problem or 'not an object'}")
            data = body
            files, problem = _files(data.get("Attachments"))
            if problem:
                return _message(400, problem)
            if data.get("Content") and not data.get("ContentType"):
                return _message(400, "ContentType is a required field for application/json")
        else:
            return _message(415, "Unsupported Media Type")
        with self.fake.lock:
            ticket = self.ticket_or_404(ticket_id)
            if ticket is None:
                return _message(404, "Not Found")
            content = data.get("Content") or None
            txn_id, messages = self.fake.add_message(
                ticket_id,
                kind,
                content,
                str(data.get("ContentType") or "text/plain"),
                self.user,
                subject=data.get("Subject"),
                time_taken=int(data.get("TimeTaken") or 0),
                files=files,
            )
            messages.extend(self.fake.set_custom_fields(ticket, data.get("CustomFields") or {}, self.user))
            if data.get("Status"):
                status_message = self.fake.set_status(ticket, str(data["Status"]), self.user)
                if status_message:
                    messages.append(status_message)
            return json_response(messages, 201, {"Location": f"{PREFIX}/transaction/{txn_id}"})

    # -- transactions and attachments ---------------------------------------------------

    def history(self, ticket_id: int) -> Response:
        fields = self.requested_fields()
        with self.fake.lock:
            if self.ticket_or_404(ticket_id) is None:
                return _message(404, "Not Found")
            rows = [t for t in self.fake._transactions.values() if t.ticket_id == ticket_id]

            def item(txn: Transaction) -> dict[str, Any]:
                out: dict[str, Any] = self.uid("transaction", txn.id)
                full = self.transaction_fields(txn)
                out.update({name: full[name] for name in fields if name in full})
                return out

            # RT counts a history only for a superuser: "total" and "pages" null otherwise.
            return self.collection(rows, item, with_total=self.counts_all)

    def transaction(self, txn_id: int) -> Response:
        with self.fake.lock:
            txn = self.fake._transactions.get(txn_id)
            if txn is None:
                return _message(404, "Not Found")
            payload: dict[str, Any] = {"id": txn.id, **self.transaction_fields(txn)}
            links = [
                {"id": txn.id, "ref": "self", "type": "transaction", "_url": f"{self.base()}/transaction/{txn.id}"}
            ]
            links += [
                {"ref": "attachment", "_url": f"{self.base()}/attachment/{a.id}"}
                for a in self.fake._attachments.values()
                if a.transaction_id == txn.id
            ]
            payload["_hyperlinks"] = links
            return json_response(payload)

    def transaction_attachments(self, txn_id: int) -> Response:
        with self.fake.lock:
            if txn_id not in self.fake._transactions:
                return _message(404, "Not Found")
            rows = [a for a in self.fake._attachments.values() if a.transaction_id == txn_id]
            return self.collection(rows, self.attachment_item, with_total=self.counts_all)

    def ticket_attachments(self, ticket_id: int) -> Response:
        with self.fake.lock:
            # RT answers an unknown ticket with an empty collection, not a 404.
            txns = {t.id for t in self.fake._transactions.values() if t.ticket_id == ticket_id}
            rows = [a for a in self.fake._attachments.values() if a.transaction_id in txns]
            return self.collection(rows, self.attachment_item, with_total=self.counts_all)

    def attachment_item(self, found: Attachment) -> dict[str, Any]:
        out: dict[str, Any] = self.uid("attachment", found.id)
        for name in self.requested_fields():
            if name in ATTACHMENT_FIELDS:
                out[name] = self.attachment_field(found, name)
        return out

    def attachment_field(self, found: Attachment, name: str) -> Any:
        if name == "ContentLength":
            return self.fake.content_length(found)
        if name == "Creator":
            return self.uid("user", found.creator)
        if name == "Created":
            return w3c(found.created)
        if name == "TransactionId":
            return found.transaction_id  # no TransactionIdObj: the bare column
        return {"Filename": found.filename, "ContentType": found.content_type, "Subject": found.subject,
                "Parent": found.parent, "ContentEncoding": "none"}[name]

    def attachment(self, attachment_id: int) -> Response:
        with self.fake.lock:
            found = self.fake._attachments.get(attachment_id)
            if found is None:
                return _message(404, "Not Found")
            return json_response(
                {
                    "id": found.id,
                    "TransactionId": self.uid("transaction", found.transaction_id),
                    "Parent": found.parent,
                    "Subject": found.subject,
                    "Filename": found.filename,
                    "ContentType": found.content_type,
                    "ContentEncoding": "none",
                    # MIME::Base64::encode_base64 style: 76-character lines, trailing newline.
                    "Content": base64.encodebytes(found.content).decode(),
                    "Headers": f"Content-Type: {found.content_type}\n",
                    "Creator": self.uid("user", found.creator),
                    "Created": w3c(found.created),
                }
            )

    def queues(self) -> Response:
        with self.fake.lock:
            rows = sorted(self.fake.queues)
            return self.collection(rows, lambda qid: self.uid("queue", qid), with_total=True)


def _files(raw: Any) -> tuple[list[File], str | None]:
    """The files of a message body's ``Attachments``, or RT's refusal (Message.pm from_json)."""
    if not raw:
        return [], None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        return [], "Attachments must be an array of objects"
    for item in raw:
        for name in ("FileName", "FileType", "FileContent"):
            if not item.get(name):  # Perl truth: an empty file is refused as missing
                return [], f"{name} is a required field for each attachment in Attachments"
    return [(str(i["FileName"]), str(i["FileType"]), _decode_base64(str(i["FileContent"]))) for i in raw], None


def _decode_base64(text: str) -> bytes:
    """As MIME::Base64::decode_base64: what is not base64 (line breaks, say) is skipped,
    and missing padding is no error."""
    kept = re.sub(r"[^A-Za-z0-9+/]", "", text)
    return base64.b64decode(kept + "=" * (-len(kept) % 4)) if len(kept) % 4 != 1 else base64.b64decode(kept[:-1])


def _query_view(ticket: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": ticket["id"],
        "Queue": str(ticket["Queue"]),
        "Status": ticket["Status"],
        "Subject": ticket["Subject"],
        "Owner": ticket["Owner"],
        "Requestor": list(ticket["Requestor"]),
        "Priority": ticket["Priority"],
        "Created": ticket["Created"],
        "LastUpdated": ticket["LastUpdated"],
    }


def _ordered(tickets: list[dict[str, Any]], orderby: list[str], order: list[str]) -> list[dict[str, Any]]:
    result = sorted(tickets, key=lambda t: t["id"])
    pairs = list(zip(orderby, order + ["ASC"] * (len(orderby) - len(order)), strict=False))
    for name, direction in reversed(pairs):
        if name in ("id", "Created", "LastUpdated", "Priority", "Subject", "Status"):
            result.sort(key=_sort_key(name), reverse=direction.upper() == "DESC")
    return result


def _sort_key(name: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    # Unset values sort last, as NULLs do in RT's databases.
    return lambda ticket: (1, "") if ticket[name] is None else (0, ticket[name])


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    tags = set()
    for part in header.split(","):
        tag = part.strip().removeprefix("W/")
        tags.add(tag if tag.startswith('"') or tag == "*" else f'"{tag}"')
    return tags


def _unmodified_since_failed(last_updated: datetime, header: str) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return last_updated.replace(microsecond=0) > since


def _positive(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value > 0 else default
