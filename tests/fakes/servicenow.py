"""A ServiceNow Table API double: ``incident``, ``change_request`` and ``sys_journal_field``
(and the Attachment API, in tests.fakes.sn_attachments).

Documented behaviours implemented, with where they are documented:

* ``GET /api/now/table/{table}`` with ``sysparm_query``, ``sysparm_limit`` (default 10000),
  ``sysparm_offset``, ``sysparm_fields``, ``sysparm_display_value`` (``false`` default,
  ``true`` display values, ``all`` both as ``{"display_value", "value"}``),
  ``sysparm_no_count``, ``sysparm_suppress_pagination_header``; ``/api/now/v1|v2/...``
  versioned URLs too. Table API GET reference (docs.servicenow.com, "Table API - GET
  /now/table/{tableName}", Geneva to Utah).
* Invalid parts of ``sysparm_query`` (unknown field) are ignored and the rest applied;
  ``invalid_query_returns_no_rows = True`` mimics ``glide.invalid_query.returns_no_rows``.
  Same page. See ``sn_query`` for the query grammar and date handling.
* Pagination: ``X-Total-Count`` and a ``Link`` header with ``first``, ``prev``, ``next``,
  ``last``; prev/next only when they apply and no ``Link`` at all when everything fits
  on one page (observed headers quoted in ServiceNowITOM/ansible-sn-inventory#15).
* ``GET``/``PATCH``/``PUT``/``DELETE /api/now/table/{table}/{sys_id}``, ``POST`` create
  (201 with ``Location``). PUT updates like PATCH; unknown fields in a body are ignored
  (Table API docs, KB0534905 "Table API FAQs"). Answers are ``{"result": ...}`` with every
  value a string, date-times ``YYYY-MM-DD HH:MM:SS`` in UTC ("The WS date/time responses
  come back in UTC"); display values are in the user's time zone.
* Records: 32-hex ``sys_id``, ``number`` INC0010001 / CHG0030001, ``sys_mod_count``
  bumped once per update that changes something (an update changing nothing writes
  nothing), ``priority`` computed from impact x urgency by the default priority lookup
  (1/1 -> 1 Critical ... 3/3 -> 5 Planning), incident ``active`` false once Closed or
  Canceled, ``resolved_at``/``closed_at`` stamped on entering Resolved/Closed.
* ``comments`` and ``work_notes`` are journal fields: writing appends a
  ``sys_journal_field`` row (element, element_id, name, value, sys_created_on,
  sys_created_by); reading them answers "" unless display values are asked for.
* Basic and Bearer (OAuth access token) authentication; otherwise 401 with
  ``{"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth
  information"}, "status": "failure"}`` (KB0719167). Missing record: 404 "No Record found"
  / "Record doesn't exist or ACL restricts the record retrieval".
* Rate limiting: ``X-RateLimit-Limit``, ``X-RateLimit-Reset`` (Unix time) and
  ``X-RateLimit-Rule`` on limited routes, 429 with ``Retry-After`` past the limit
  (docs.servicenow.com "Inbound REST API rate limiting").

Wording not confirmed in the docs (the shape is): the 429 message "Rate limit exceeded",
the 400 for a body that is not JSON, the 403 for writing ``sys_journal_field``.

* Business rules that move the state when a work note or comment is added, as a site
  configures them: ``add_state_rule`` (tests.fakes.sn_rules). None by default.

* Reference fields ``assignment_group`` (sys_user_group), ``assigned_to`` (sys_user) and
  ``cmdb_ci`` (cmdb_ci) hold the referenced record's sys_id, as the Table API stores and
  answers them with ``sysparm_display_value=false``; their display value is the referenced
  record's name. A write stores the value as given ("The REST API inserts and updates
  values as given in requests", KB0534905), so a client must send a sys_id. Dot-walked
  names in ``sysparm_fields`` (``assignment_group.name``) answer the referenced record's
  field (developer.servicenow.com, "Dot-walking in the REST Table API"); the referenced
  tables are readable and searchable like any other (``name=Network``). Setup:
  ``add_group``, ``add_ci``, ``add_sys_user``.
* A field the table does not have is left out of an answer, even when ``sysparm_fields``
  names it, and ignored in a write (Table API docs).

Left out: reference links (the client asks ``sysparm_exclude_reference_link=true``),
``sysparm_view``, ``sysparm_input_display_value``, business rules beyond the ones above,
data policies, ACLs, XML.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, Response, request

from tests.fakes.base import FakeClock, FakeService, RateState, install_gate, json_body, json_response, new_flask_app
from tests.fakes.sn_attachments import AttachmentStore
from tests.fakes.sn_query import SN_FORMAT, parse_encoded_query
from tests.fakes.sn_rules import StateRule, apply_state_rules

JOURNAL = "sys_journal_field"
JOURNAL_FIELDS = ("comments", "work_notes")
JOURNAL_LABELS = {"comments": "Additional comments", "work_notes": "Work notes"}
NUMERIC_FIELDS = frozenset({"state", "impact", "urgency", "priority", "sys_mod_count"})
DATETIME_FIELDS = frozenset(
    {"sys_created_on", "sys_updated_on", "opened_at", "resolved_at", "closed_at", "start_date", "end_date"}
)
#: The default priority lookup rules: (impact, urgency) -> priority.
PRIORITY = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("1", "3"): "3",
    ("2", "1"): "2",
    ("2", "2"): "3",
    ("2", "3"): "4",
    ("3", "1"): "3",
    ("3", "2"): "4",
    ("3", "3"): "5",
}
PRIORITY_LABELS = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning"}
IMPACT_LABELS = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
RATE_RULE_SYS_ID = "f5a1c2b3d4e5f60718293a4b5c6d7e8f"


@dataclass(frozen=True)
class TableSpec:
    name: str
    prefix: str
    first_number: int
    states: Mapping[str, str]
    new_state: str
    resolved_state: str | None
    closed_states: frozenset[str]


TABLES = {
    "incident": TableSpec(
        "incident",
        "INC",
        10001,
        {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"},
        "1",
        "6",
        frozenset({"7", "8"}),
    ),
    "change_request": TableSpec(
        "change_request",
        "CHG",
        30001,
        {
            "-5": "New",
            "-4": "Assess",
            "-3": "Authorize",
            "-2": "Scheduled",
            "-1": "Implement",
            "0": "Review",
            "3": "Closed",
            "4": "Canceled",
        },
        "-5",
        None,
        frozenset({"3", "4"}),
    ),
}
COMMON_FIELDS = (
    "sys_id",
    "number",
    "short_description",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "correlation_id",
    "correlation_display",
    "active",
    "category",
    "subcategory",
    "cmdb_ci",
    "assignment_group",
    "assigned_to",
    "opened_at",
    "opened_by",
    "resolved_at",
    "closed_at",
    "close_code",
    "close_notes",
    "comments",
    "work_notes",
    "sys_class_name",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
)
EXTRA_FIELDS = {"change_request": ("type", "start_date", "end_date", "requested_by"), "incident": ("caller_id",)}
JOURNAL_COLUMNS = (
    "sys_id",
    "element",
    "element_id",
    "name",
    "value",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
)
REFERENCE_TABLES = {"sys_user_group": ("sys_id", "name"), "cmdb_ci": ("sys_id", "name", "sys_class_name"),
                    "sys_user": ("sys_id", "user_name", "name", "email")}
REFERENCES = {"assignment_group": "sys_user_group", "assigned_to": "sys_user", "cmdb_ci": "cmdb_ci",
              "caller_id": "sys_user", "requested_by": "sys_user"}
"""Reference fields of the task tables and the table each one points at."""
READ_ONLY = frozenset({"sys_id", "number", "priority", "active", "sys_class_name", "opened_at", "opened_by"})


class ServiceNowFake(FakeService):
    """In-memory ServiceNow; every method is safe to call from any thread."""

    system = "servicenow"

    def __init__(
        self,
        *,
        clock: FakeClock | None = None,
        user_timezone: str = "America/Los_Angeles",
        timeout_delay: float = 1.0,
    ) -> None:
        super().__init__(clock=clock, timeout_delay=timeout_delay)
        #: The API user's time zone: gs.dateGenerate() values and display values use it.
        #: The default is the usual system default (US/Pacific), so a client that feeds
        #: UTC to gs.dateGenerate() is caught; set "UTC" to model a UTC integration user.
        self.user_timezone = user_timezone
        #: glide.invalid_query.returns_no_rows
        self.invalid_query_returns_no_rows = False
        self.users: dict[str, str] = {"admin": "admin"}
        self.tokens: dict[str, str] = {"sn-token": "admin"}
        self._tables: dict[str, dict[str, dict[str, str]]] = {
            name: {} for name in (*TABLES, JOURNAL, *REFERENCE_TABLES)}
        self._counters = {name: spec.first_number for name, spec in TABLES.items()}
        #: The Attachment API (tests.fakes.sn_attachments): ``fake.attachments.attach(...)``.
        self.attachments = AttachmentStore(self)
        self.state_rules: list[StateRule] = []
        #: Columns an admin added to a task table (``u_lot``): :meth:`add_column`.
        self.added_columns: dict[str, tuple[str, ...]] = {}

    # -- control API --------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        with self.lock:
            self.users[name] = password

    def add_token(self, token: str, user: str = "admin") -> None:
        """Accept ``Authorization: Bearer <token>`` as ``user`` (an OAuth access token)."""
        with self.lock:
            self.tokens[token] = user

    def create_record(
        self, table: str, fields: Mapping[str, Any] | None = None, *, user: str = "remote.user", **more: Any
    ) -> dict[str, str]:
        """Insert a record as ``user`` would in the UI; returns a copy with display-less values."""
        with self.lock:
            return dict(self._insert(table, {**(fields or {}), **more}, user))

    def update_record(
        self,
        table: str,
        sys_id: str,
        fields: Mapping[str, Any] | None = None,
        *,
        user: str = "remote.user",
        **more: Any,
    ) -> dict[str, str]:
        """Change a record as ``user`` would; ``comments=``/``work_notes=`` add journal entries."""
        with self.lock:
            record = self._tables[self._table(table)][sys_id]
            self._apply(table, record, {**(fields or {}), **more}, user)
            return dict(record)

    def add_comment(
        self, table: str, sys_id: str, text: str, *, user: str = "remote.user", work_note: bool = False
    ) -> dict[str, str]:
        return self.update_record(table, sys_id, {"work_notes" if work_note else "comments": text}, user=user)

    def add_state_rule(self, table: str = "incident", *, on: tuple[str, ...] = ("comments", "work_notes"),
                       from_states: tuple[str, ...] = ("1",), to_state: str = "2") -> None:
        """A business rule: a work note or comment added to a record in ``from_states`` moves it to ``to_state``."""
        with self.lock:
            self.state_rules.append(StateRule(table, on, from_states, to_state))

    def add_column(self, table: str, name: str) -> None:
        """A string column an admin added to a task table (``u_lot``), empty on every record."""
        with self.lock:
            self.added_columns[table] = (*self.added_columns.get(table, ()), name)
            for record in self._tables[self._table(table)].values():
                record.setdefault(name, "")

    def add_group(self, name: str) -> str:
        """A sys_user_group; returns its sys_id."""
        return self._add_referenced("sys_user_group", name=name)

    def add_ci(self, name: str, ci_class: str = "cmdb_ci_server") -> str:
        """A configuration item; returns its sys_id."""
        return self._add_referenced("cmdb_ci", name=name, sys_class_name=ci_class)

    def add_sys_user(self, user_name: str, name: str = "", email: str = "") -> str:
        return self._add_referenced("sys_user", user_name=user_name, name=name or user_name, email=email)

    def _add_referenced(self, table: str, **values: str) -> str:
        with self.lock:
            row = {**dict.fromkeys(REFERENCE_TABLES[table], ""), **values, "sys_id": uuid.uuid4().hex}
            self._tables[table][row["sys_id"]] = row
            return row["sys_id"]

    def referenced(self, field: str, sys_id: str) -> dict[str, str] | None:
        """The record a reference field's sys_id points at, or None."""
        with self.lock:
            found = self._tables[REFERENCES[field]].get(sys_id)
            return dict(found) if found else None

    def record(self, table: str, sys_id: str) -> dict[str, str]:
        with self.lock:
            return dict(self._tables[self._table(table)][sys_id])

    def records(self, table: str) -> list[dict[str, str]]:
        with self.lock:
            return [dict(r) for r in self._tables[self._table(table)].values()]

    def find(self, table: str, **equals: str) -> list[dict[str, str]]:
        return [r for r in self.records(table) if all(r.get(k) == v for k, v in equals.items())]

    def journal(self, sys_id: str | None = None, element: str | None = None) -> list[dict[str, str]]:
        """Journal entries, oldest first, optionally for one record and one element."""
        with self.lock:
            rows = [dict(r) for r in self._tables[JOURNAL].values()]
        return [
            r
            for r in rows
            if (sys_id is None or r["element_id"] == sys_id) and (element is None or r["element"] == element)
        ]

    # -- records ------------------------------------------------------------------------

    def _table(self, name: str) -> str:
        if name not in self._tables:
            raise KeyError(f"unknown table {name!r}")
        return name

    def _now(self) -> str:
        return self.clock.now().strftime(SN_FORMAT)

    def _fields(self, table: str) -> tuple[str, ...]:
        if table == JOURNAL:
            return JOURNAL_COLUMNS
        if table in REFERENCE_TABLES:
            return REFERENCE_TABLES[table]
        return COMMON_FIELDS + EXTRA_FIELDS[table] + self.added_columns.get(table, ())

    def _insert(self, table: str, values: Mapping[str, Any], user: str) -> dict[str, str]:
        spec = TABLES[self._table(table)]
        now = self._now()
        number = self._counters[table]
        self._counters[table] += 1
        record = dict.fromkeys(self._fields(table), "")
        record.update(
            sys_id=uuid.uuid4().hex,
            number=f"{spec.prefix}{number:07d}",
            state=spec.new_state,
            impact="3",
            urgency="3",
            active="true",
            sys_class_name=table,
            opened_at=now,
            opened_by=user,
            sys_created_on=now,
            sys_created_by=user,
            sys_updated_on=now,
            sys_updated_by=user,
            sys_mod_count="0",
        )
        if table == "change_request":
            record["type"] = "normal"
        self._tables[table][record["sys_id"]] = record
        self._apply(table, record, values, user, creating=True)
        return record

    def _apply(
        self, table: str, record: dict[str, str], values: Mapping[str, Any], user: str, creating: bool = False
    ) -> bool:
        spec = TABLES[table]
        changed = False
        journal: list[tuple[str, str]] = []
        for name, raw in values.items():
            value = _as_string(raw)
            if name in JOURNAL_FIELDS:
                if value.strip():
                    journal.append((name, value))
                continue
            if name not in record or name in READ_ONLY or name.startswith("sys_"):
                continue  # the Table API ignores fields it cannot set
            if record[name] != value:
                record[name] = value
                changed = True
        if journal and not creating and apply_state_rules(self.state_rules, table, record, {e for e, _ in journal}):
            changed = True
        now = self._now()
        record["priority"] = PRIORITY.get((record["impact"], record["urgency"]), record["priority"] or "5")
        if spec.resolved_state and record["state"] == spec.resolved_state and not record["resolved_at"]:
            record["resolved_at"] = now
        if record["state"] in spec.closed_states:
            record["active"] = "false"
            if not record["closed_at"]:
                record["closed_at"] = now
        for element, value in journal:
            self._add_journal(table, record["sys_id"], element, value, user)
        if (changed or journal) and not creating:
            record["sys_updated_on"] = now
            record["sys_updated_by"] = user
            record["sys_mod_count"] = str(int(record["sys_mod_count"]) + 1)
        return changed or bool(journal)

    def _add_journal(self, table: str, sys_id: str, element: str, value: str, user: str) -> None:
        now = self._now()
        row = {
            "sys_id": uuid.uuid4().hex,
            "element": element,
            "element_id": sys_id,
            "name": table,
            "value": value,
            "sys_created_on": now,
            "sys_created_by": user,
            "sys_updated_on": now,
            "sys_updated_by": user,
            "sys_mod_count": "0",
        }
        self._tables[JOURNAL][row["sys_id"]] = row

    # -- HTTP ---------------------------------------------------------------------------

    def authenticate(self) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        with self.lock:
            if scheme.lower() == "bearer":
                return self.tokens.get(credentials.strip())
            if scheme.lower() == "basic":
                try:
                    name, _, password = base64.b64decode(credentials).decode().partition(":")
                except ValueError:
                    return None
                return name if self.users.get(name) == password and password else None
        return None

    def unauthorized(self) -> Response:
        response = self.error_response(401, "User Not Authenticated", "Required to provide Auth information")
        response.headers["WWW-Authenticate"] = 'Basic realm="Service-now"'
        return response

    def error_response(self, status: int, message: str, detail: str | None = None) -> Response:
        if status == 429:
            message, detail = "Rate limit exceeded", detail or "Too many requests for this rate limit rule"
        return json_response({"error": {"message": message, "detail": detail}, "status": "failure"}, status)

    def rate_headers(self, state: RateState) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(state.limit),
            "X-RateLimit-Reset": str(int(state.reset_at.timestamp())),
            "X-RateLimit-Rule": RATE_RULE_SYS_ID,
        }

    def create_app(self) -> Flask:
        app = new_flask_app("servicenow-fake")
        install_gate(app, self)
        for prefix in ("/api/now/table", "/api/now/<version>/table"):
            app.add_url_rule(f"{prefix}/<table>", view_func=self._http_list, methods=["GET"], endpoint=f"list{prefix}")
            app.add_url_rule(
                f"{prefix}/<table>", view_func=self._http_create, methods=["POST"], endpoint=f"create{prefix}"
            )
            app.add_url_rule(
                f"{prefix}/<table>/<sys_id>",
                view_func=self._http_one,
                methods=["GET", "PATCH", "PUT", "DELETE"],
                endpoint=f"one{prefix}",
            )
        self.attachments.install(app)
        return app

    def _bad_table(self, table: str) -> Response | None:
        if table in self._tables:
            return None
        return self.error_response(400, f"Invalid table {table}")

    def _http_list(self, table: str, version: str | None = None) -> Response:
        if (bad := self._bad_table(table)) is not None:
            return bad
        args = request.args
        limit = _int_arg(args.get("sysparm_limit"), 10000, minimum=1)
        offset = _int_arg(args.get("sysparm_offset"), 0, minimum=0)
        mode = args.get("sysparm_display_value", "false").lower()
        fields = _field_list(args.get("sysparm_fields"))
        with self.lock:
            known = frozenset(self._fields(table))
            query = parse_encoded_query(
                args.get("sysparm_query", ""),
                known_fields=known,
                user_tz=ZoneInfo(self.user_timezone),
                invalid_returns_no_rows=self.invalid_query_returns_no_rows,
            )
            rows = [copy.copy(r) for r in self._tables[table].values() if query.matches(r, NUMERIC_FIELDS)]
            rows = query.sort(rows, NUMERIC_FIELDS)
            total = len(rows)
            page = [self._present(table, r, mode, fields) for r in rows[offset : offset + limit]]
        headers: dict[str, str] = {}
        if args.get("sysparm_no_count", "false").lower() != "true":
            headers["X-Total-Count"] = str(total)
        link = _link_header(request.base_url, args, offset, limit, total)
        if link and args.get("sysparm_suppress_pagination_header", "false").lower() != "true":
            headers["Link"] = link
        return json_response({"result": page}, headers=headers)

    def _http_create(self, table: str, version: str | None = None) -> Response:
        if (bad := self._bad_table(table)) is not None:
            return bad
        if table == JOURNAL:
            return self.error_response(403, "Operation Failed", "ACL restricts the record insert")
        body, problem = json_body()
        if problem or not isinstance(body, dict):
            return self.error_response(
                400, "Exception while reading request", problem or "The payload is not valid JSON."
            )
        with self.lock:
            record = self._insert(table, body, self._user())
            result = self._present(
                table,
                record,
                request.args.get("sysparm_display_value", "false").lower(),
                _field_list(request.args.get("sysparm_fields")),
            )
        location = f"{request.host_url.rstrip('/')}/api/now/table/{table}/{record['sys_id']}"
        return json_response({"result": result}, 201, {"Location": location})

    def _http_one(self, table: str, sys_id: str, version: str | None = None) -> Response:
        if (bad := self._bad_table(table)) is not None:
            return bad
        mode = request.args.get("sysparm_display_value", "false").lower()
        fields = _field_list(request.args.get("sysparm_fields"))
        with self.lock:
            record = self._tables[table].get(sys_id)
            if record is None:
                return self.error_response(
                    404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
                )
            if request.method == "GET":
                return json_response({"result": self._present(table, record, mode, fields)})
            if table == JOURNAL:
                return self.error_response(403, "Operation Failed", "ACL restricts the record update")
            if request.method == "DELETE":
                del self._tables[table][sys_id]
                return Response(status=204)
            body, problem = json_body()
            if problem or not isinstance(body, dict):
                return self.error_response(
                    400, "Exception while reading request", problem or "The payload is not valid JSON."
                )
            self._apply(table, record, body, self._user())
            return json_response({"result": self._present(table, record, mode, fields)})

    def _user(self) -> str:
        from flask import g

        return str(g.get("fake_user", "admin"))

    def _present(self, table: str, record: Mapping[str, str], mode: str, fields: list[str] | None) -> dict[str, Any]:
        names = [f for f in fields if f in record or self._dot_walks(record, f)] if fields else list(record)
        out: dict[str, Any] = {}
        for name in names:
            if name not in record:
                reference, _, column = name.partition(".")
                target = self._tables[REFERENCES[reference]].get(record[reference]) or {}
                out[name] = str(target.get(column) or "")
                continue
            value = "" if name in JOURNAL_FIELDS else record[name]
            if mode == "true":
                out[name] = self._display(table, record, name)
            elif mode == "all":
                out[name] = {"display_value": self._display(table, record, name), "value": value}
            else:
                out[name] = value
        return out

    @staticmethod
    def _dot_walks(record: Mapping[str, str], name: str) -> bool:
        reference, dot, column = name.partition(".")
        return bool(dot) and reference in record and reference in REFERENCES \
            and column in REFERENCE_TABLES[REFERENCES[reference]]

    def _display(self, table: str, record: Mapping[str, str], name: str) -> str:
        value = record[name]
        if name in REFERENCES and value:
            target = self._tables[REFERENCES[name]].get(value) or {}
            return str(target.get("name") or "")
        if name in JOURNAL_FIELDS:
            entries = sorted(self.journal(record["sys_id"], name), key=lambda e: e["sys_created_on"], reverse=True)
            return "".join(
                f"{self._local(e['sys_created_on'])} - {e['sys_created_by']} ({JOURNAL_LABELS[name]})\n{e['value']}\n\n"
                for e in entries
            )
        if name in DATETIME_FIELDS and value:
            return self._local(value)
        if table in TABLES:
            if name == "state":
                return TABLES[table].states.get(value, value)
            if name == "priority":
                return PRIORITY_LABELS.get(value, value)
            if name in ("impact", "urgency"):
                return IMPACT_LABELS.get(value, value)
        return value

    def _local(self, utc_text: str) -> str:
        moment = datetime.strptime(utc_text, SN_FORMAT).replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(ZoneInfo(self.user_timezone)).strftime(SN_FORMAT)


def _as_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int_arg(raw: str | None, default: int, *, minimum: int) -> int:
    try:
        return max(minimum, int(raw)) if raw is not None else default
    except ValueError:
        return default


def _field_list(raw: str | None) -> list[str] | None:
    return [f.strip() for f in raw.split(",") if f.strip()] if raw else None


def _link_header(base: str, args: Mapping[str, str], offset: int, limit: int, total: int) -> str | None:
    if offset == 0 and total <= limit:
        return None

    def url(at: int) -> str:
        params = {k: v for k, v in args.items() if k not in ("sysparm_offset", "sysparm_limit")}
        params.update(sysparm_offset=str(at), sysparm_limit=str(limit))
        return f"{base}?{urlencode(params)}"

    last = max(0, ((total - 1) // limit) * limit)
    links = [f'<{url(0)}>;rel="first"']
    if offset > 0:
        links.append(f'<{url(max(0, offset - limit))}>;rel="prev"')
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>;rel="next"')
    links.append(f'<{url(last)}>;rel="last"')
    return ",".join(links)
