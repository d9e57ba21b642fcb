"""A Jira Cloud (REST v3) and Jira Service Management double: the records and control API.

The HTTP surface is in ``jira_http``; the query language in ``jql``. Documented
behaviours implemented, with where they are documented:

* Basic auth with ``email:api_token``; ``GET /rest/api/3/myself`` tells the account's
  ``timeZone`` (Jira Cloud REST v3 reference, developer.atlassian.com, "Basic auth for
  REST APIs" and "Myself").
* ``POST /rest/api/3/issue`` (201 ``{"id", "key", "self"}``), ``GET``/``PUT
  /rest/api/3/issue/{key}`` (PUT answers 204; ``fields`` and ``update`` verbs set/add/
  remove); in v3 ``description`` and comment bodies must be Atlassian Document Format,
  a plain string is a 400; a field that cannot be set (``status`` among them) is
  "Field 'x' cannot be set. It is not on the appropriate screen, or unknown."; labels may
  not contain spaces (REST v3 "Issues" group; ADF reference).
* ``GET``/``POST /rest/api/3/issue/{key}/transitions``; a transition id not offered from
  the issue's current status is a 400 "Transition id 'n' is not valid for this issue."
  The workflow is Jira's simplified one: To Do (11), In Progress (21), Done (31), any to
  any; Done sets ``resolution``.
* Comments ``GET``/``POST /rest/api/3/issue/{key}/comment`` with ADF bodies. Internal vs
  public in a service project, both ways, on the same comments: the JSM API ``POST``/``GET
  /rest/servicedeskapi/request/{key}/comment`` with ``{"body": "text", "public": bool}``
  and its ``{"size", "start", "limit", "isLastPage", "values"}`` pages (JSM Cloud REST
  "Request" group, developer.atlassian.com: the documented way), and the platform API
  with the comment entity property ``sd.public.comment`` = ``{"internal": true}``, read
  back as ``jsdPublic`` (REST v3 "Add comment" takes ``properties``; the key itself is
  known from Atlassian community answers, not found in the stored reference pages). Other
  entity properties given with a comment are kept and read back with ``expand=properties``.
* Transition on comment, as JSM's automation rule of that name does it: with
  ``add_comment_transition`` a comment (a public one, unless told otherwise) on an issue
  in one status moves it to another, within the request that added the comment.
* Enhanced search ``GET``/``POST /rest/api/3/search/jql``: ``jql``, ``nextPageToken``,
  ``maxResults`` (default 50, 1 to 5000), ``fields`` (default: only ``id``!),
  ``reconcileIssues``; the answer has ``issues``, ``nextPageToken`` (absent on the last
  page) and ``isLast``, and no ``total``. Pages may be shorter than ``maxResults`` when
  fields are asked for. The index is eventually consistent: see ``set_search_lag``;
  ``reconcileIssues`` gives read-after-write for the ids listed (REST v3 "Issue search";
  CHANGE-2046 migration notes; workato docs "Jira search results may not reflect recent
  changes... Reconcile Issue IDs").
* The removed ``/rest/api/2/search`` and ``/rest/api/3/search`` answer 410 with
  "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API..."
  (CHANGE-2046; quoted in many client issues, e.g. adyscorpius/logseq-jira#34).
* ``created``/``updated`` as ``2026-11-16T09:13:55.000+0100``, in the user's time zone,
  which is also the zone JQL date values are read in (default Europe/Berlin).
* Errors ``{"errorMessages": [...], "errors": {...}}``; 415 for a body that is not JSON.
* Attachments (REST v3 "Issue attachments"): an issue's ``fields.attachment`` lists
  ``{"self", "id", "filename", "author", "created", "size", "mimeType", "content"}``
  (``size`` in bytes, ``id`` a string, ``content`` the URL of the file, plus ``thumbnail``
  for images). ``POST /rest/api/3/issue/{key}/attachments`` takes multipart/form-data with
  the files in parts named ``file``, and only with ``X-Atlassian-Token: no-check`` (else
  403 "XSRF check failed", a plain-text answer); it answers 200 with the list of the new
  attachments, 413 over the site's per-file limit (``set_attachment_limit``), and updates
  the issue's ``updated``. ``GET /rest/api/3/attachment/content/{id}`` answers 303 to the
  file in the media store, or, with ``redirect=false``, 200 with the bytes. The media store
  here is a route of the double on the same host (behind the same Basic auth, which
  requests keeps on a same-host redirect); the real one is api.media.atlassian.com with a
  token in the URL.
* Rate limits: 429 with ``Retry-After``, ``X-RateLimit-Reset`` (ISO ``yyyy-MM-ddTHH:mmZ``),
  ``RateLimit-Reason``; ``X-RateLimit-Limit``/``-Remaining`` and ``X-RateLimit-NearLimit``
  when under 20% remains (developer.atlassian.com "Rate limiting", quoted in JRACLOUD-69262).

Wording not confirmed in the docs (the shape is): the create errors for project, issue
type and priority, the 401 text, the invalid ``nextPageToken`` and ``reconcileIssues``
messages, the JSM 404 text, the 413 and no-file upload messages.

* Components and custom fields (REST v3 "Issues": "Edit issue" and "Create issue" take
  ``components`` as ``[{"name": ...}]`` or ``[{"id": ...}]`` and custom fields by id,
  ``customfield_10050``; "Project components"; the field formats of "Issue fields"): an
  issue answers ``components`` as ``[{"self", "id", "name"}]`` (a name the project does
  not have is a 400 "Component name 'x' is not valid"), a ``datetime`` custom field as
  ``2026-12-10T22:00:00.000+0100`` in the user's zone (written in ISO 8601 with any offset),
  a ``string`` one as text, an ``option`` one as ``{"self", "value", "id"}`` (written as
  ``{"value": ...}``; a value not among its options is a 400), unset as null. A custom
  field the site has not made (or not put on the screen) is the same 400 as any field
  that cannot be set. Setup: ``add_component``, ``add_custom_field``.

Left out: changelog/expand, users and assignees beyond the API accounts, custom field
contexts and schemes, attachment metadata, thumbnails, deletes and Range downloads, attachments in JSM's
request API, workflows other than the simplified one, webhooks, v2 endpoints.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, request

from tests.fakes.base import FakeClock, FakeService, RateState, json_response
from tests.fakes.jql import SearchContext

#: status name -> (id, statusCategory)
STATUSES: dict[str, tuple[str, dict[str, Any]]] = {
    "To Do": ("10000", {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"}),
    "In Progress": ("3", {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"}),
    "Done": ("10001", {"id": 3, "key": "done", "colorName": "green", "name": "Done"}),
}
#: transition id -> (transition name, target status)
TRANSITIONS = {"11": ("To Do", "To Do"), "21": ("In Progress", "In Progress"), "31": ("Done", "Done")}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
SOFTWARE_TYPES = {"Task": "10001", "Bug": "10002", "Story": "10003"}
SERVICE_TYPES = {
    "Task": "10001",
    "Service Request": "10010",
    "Incident": "10011",
    "Change": "10012",
    "Problem": "10013",
}
INTERNAL_PROPERTY = "sd.public.comment"
ATTACHMENT_LIMIT = 10 * 1024 * 1024
"""The double's default per-file limit; a Jira Cloud site's is set by its admins."""


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document: one paragraph per line."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
            for line in text.split("\n")
        ],
    }


def adf_text(document: Any) -> str:
    """The text of an Atlassian Document, paragraphs joined by newlines."""
    if not isinstance(document, dict):
        return ""
    if document.get("type") == "text":
        return str(document.get("text", ""))
    parts = [adf_text(child) for child in document.get("content", [])]
    return ("\n" if document.get("type") == "doc" else "").join(parts)


def is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def jira_time(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


@dataclass
class Account:
    email: str
    token: str
    account_id: str
    display_name: str
    timezone: str


@dataclass
class Project:
    key: str
    id: str
    name: str
    service_desk: bool
    next_number: int = 1
    components: dict[str, str] = field(default_factory=dict)
    """Component name -> id."""

    @property
    def issue_types(self) -> dict[str, str]:
        return SERVICE_TYPES if self.service_desk else SOFTWARE_TYPES


@dataclass(frozen=True)
class CustomField:
    id: str
    name: str
    type: str
    """``datetime``, ``string`` or ``option``."""
    options: tuple[str, ...] = ()


@dataclass
class _Pending:
    issue_id: str
    snapshot: dict[str, Any] | None
    visible_at: datetime
    searches_left: int


@dataclass
class _Lag:
    seconds: float = 0.0
    searches: int = 0
    pending: list[_Pending] = field(default_factory=list)


class JiraFake(FakeService):
    """In-memory Jira Cloud site; every method is safe to call from any thread."""

    system = "jira"

    def __init__(
        self,
        *,
        clock: FakeClock | None = None,
        user_timezone: str = "Europe/Berlin",
        timeout_delay: float = 1.0,
        search_page_cap: int = 100,
    ) -> None:
        super().__init__(clock=clock, timeout_delay=timeout_delay)
        #: Time zone of accounts added without one, and of the default account.
        self.default_timezone = user_timezone
        #: Most issues a search page holds when fields beyond id/key are asked for.
        self.search_page_cap = search_page_cap
        self.accounts: dict[str, Account] = {}
        self.projects: dict[str, Project] = {}
        self.custom_fields: dict[str, CustomField] = {}
        self._issues: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, str] = {}
        self._index: dict[str, dict[str, Any]] = {}
        self._lag = _Lag()
        self._next_id = 10001
        self._next_comment = 10100
        self._next_attachment = 10200
        #: Largest file an upload may carry, in bytes (413 beyond it).
        self.attachment_limit = ATTACHMENT_LIMIT
        #: Automation "transition on comment": (from status, to status, public comments only).
        self.comment_transitions: list[tuple[str, str, bool]] = []
        self.add_account("hub@example.com", "jira-token", "Integration Hub")
        self.add_account("agent@example.com", "agent-token", "Remote Agent")
        self.add_project("ITSM", "IT Service Desk", service_desk=True)

    # -- control API: site ---------------------------------------------------------------

    def add_account(
        self, email: str, token: str, display_name: str | None = None, timezone: str | None = None
    ) -> Account:
        with self.lock:
            account = Account(
                email, token, uuid.uuid4().hex[:24], display_name or email, timezone or self.default_timezone
            )
            self.accounts[email] = account
            return account

    def set_timezone(self, email: str, timezone: str) -> None:
        """Change an account's profile time zone (JQL values and dates follow it)."""
        ZoneInfo(timezone)
        with self.lock:
            self.accounts[email].timezone = timezone

    def add_component(self, project: str, name: str) -> str:
        with self.lock:
            found = self.projects[project.upper()]
            made = sum(len(p.components) for p in self.projects.values())
            return found.components.setdefault(name, str(10100 + made))

    def add_custom_field(self, name: str, kind: str = "string", options: Iterable[str] = ()) -> str:
        """A custom field on every screen; returns its id (``customfield_10050``)."""
        with self.lock:
            ident = f"customfield_{10050 + len(self.custom_fields)}"
            self.custom_fields[ident] = CustomField(ident, name, kind, tuple(options))
            return ident

    def add_project(self, key: str, name: str | None = None, *, service_desk: bool = False) -> Project:
        with self.lock:
            project = Project(key.upper(), str(10000 + len(self.projects)), name or key, service_desk)
            self.projects[project.key] = project
            return project

    def set_search_lag(self, seconds: float = 0.0, searches: int = 0) -> None:
        """Make each change invisible to search for ``seconds`` of fake time and ``searches`` searches.

        GET on an issue always sees the latest state; only ``/search/jql`` lags, as the
        Jira index does. Changes made before the call keep the lag they were made with.
        """
        with self.lock:
            self._lag.seconds = seconds
            self._lag.searches = searches

    def reindex(self) -> None:
        """Let the search index catch up with every change now."""
        with self.lock:
            for pending in self._lag.pending:
                self._publish(pending)
            self._lag.pending.clear()

    # -- control API: issues -------------------------------------------------------------

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        description: str | dict[str, Any] | None = None,
        issuetype: str = "Task",
        priority: str = "Medium",
        labels: Iterable[str] = (),
        status: str = "To Do",
        reporter: str = "agent@example.com",
    ) -> dict[str, Any]:
        """Create an issue as ``reporter`` would in the UI; returns its stored form."""
        with self.lock:
            issue = self._insert(project, summary, description, issuetype, priority, list(labels), reporter)
            if status != "To Do":
                self._set_status(issue, status)
            return copy.deepcopy(issue)

    def update_issue(self, key: str, *, by: str = "agent@example.com", **fields: Any) -> dict[str, Any]:
        """Edit summary, description (text or ADF), priority or labels as ``by`` would."""
        with self.lock:
            issue = self._issue(key)
            changes = {
                name: adf(value) if name == "description" and isinstance(value, str) else value
                for name, value in fields.items()
            }
            unknown = {name for name in changes if name not in ("summary", "description", "priority", "labels",
                                                                "components", "custom")}
            if unknown:
                raise ValueError(f"update_issue cannot set {sorted(unknown)}")
            if self._change(issue, changes):
                self._touch(issue)
            return copy.deepcopy(issue)

    def transition_issue(self, key: str, status: str, *, by: str = "agent@example.com") -> dict[str, Any]:
        with self.lock:
            issue = self._issue(key)
            if issue["status"] != status:
                self._set_status(issue, status)
            return copy.deepcopy(issue)

    def add_comment(
        self, key: str, text: str, *, internal: bool = False, author: str = "agent@example.com"
    ) -> dict[str, Any]:
        """Comment as ``author``; ``internal`` only means something in a service project."""
        with self.lock:
            return copy.deepcopy(self._comment(self._issue(key), adf(text), internal, author))

    def add_comment_transition(self, from_status: str, to_status: str, *, public_only: bool = True) -> None:
        """An automation rule: a comment on an issue in ``from_status`` moves it to ``to_status``."""
        with self.lock:
            self.comment_transitions.append((from_status, to_status, public_only))

    def add_attachment(
        self,
        key: str,
        filename: str,
        data: bytes,
        *,
        mime_type: str = "application/octet-stream",
        author: str = "agent@example.com",
    ) -> dict[str, Any]:
        """Attach a file as ``author`` would in the UI (the issue's ``updated`` moves)."""
        with self.lock:
            issue = self._issue(key)
            attachment = self._attach(issue, filename, data, mime_type, author)
            self._touch(issue)
            return copy.deepcopy(attachment)

    def attachments(self, key: str) -> list[dict[str, Any]]:
        """The issue's files: id, filename, author (email), created, size, mime_type, data."""
        with self.lock:
            return copy.deepcopy(self._issue(key)["attachments"])

    def set_attachment_limit(self, size: int) -> None:
        with self.lock:
            self.attachment_limit = size

    def find_attachment(self, attachment_id: str = "", media_id: str = "") -> dict[str, Any] | None:
        """A stored file by its id or its media-store id."""
        with self.lock:
            for issue in self._issues.values():
                for attachment in issue["attachments"]:
                    if (attachment_id and attachment["id"] == attachment_id) or (
                        media_id and attachment["media_id"] == media_id
                    ):
                        return attachment
        return None

    def issue(self, key: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._issue(key))

    def issues(self) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(i) for i in self._issues.values()]

    def comments(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._issue(key)["comments"])

    # -- records ------------------------------------------------------------------------

    def _now(self) -> datetime:
        moment = self.clock.now()
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def _issue(self, id_or_key: str) -> dict[str, Any]:
        issue_id = self._keys.get(id_or_key.upper(), id_or_key)
        if issue_id not in self._issues:
            raise KeyError(id_or_key)
        return self._issues[issue_id]

    def find(self, id_or_key: str) -> dict[str, Any] | None:
        try:
            return self._issue(id_or_key)
        except KeyError:
            return None

    def _insert(
        self,
        project_key: str,
        summary: str,
        description: Any,
        issuetype: str,
        priority: str,
        labels: list[str],
        reporter: str,
    ) -> dict[str, Any]:
        project = self.projects[project_key.upper()]
        issue_id = str(self._next_id)
        self._next_id += 1
        key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        now = self._now()
        issue = {
            "id": issue_id,
            "key": key,
            "project": project.key,
            "issuetype": issuetype,
            "summary": summary,
            "description": adf(description) if isinstance(description, str) else description,
            "priority": priority,
            "labels": sorted(set(labels)),
            "status": "To Do",
            "resolution": None,
            "resolutiondate": None,
            "reporter": reporter,
            "created": now,
            "updated": now,
            "comments": [],
            "attachments": [],
            "components": [],
            "custom": {},
        }
        self._issues[issue_id] = issue
        self._keys[key] = issue_id
        self._reindex(issue)
        return issue

    def _change(self, issue: dict[str, Any], changes: Mapping[str, Any]) -> bool:
        changed = False
        for name, value in changes.items():
            if name == "custom":
                value = {**issue["custom"], **value}
                value = {key: item for key, item in value.items() if item is not None}
            if name in ("labels", "components"):
                value = sorted(set(value))
            if issue[name] != value:
                issue[name] = value
                changed = True
        return changed

    def _set_status(self, issue: dict[str, Any], status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        issue["status"] = status
        done = status == "Done"
        issue["resolution"] = "Done" if done else None
        issue["resolutiondate"] = self._now() if done else None
        self._touch(issue)

    def _comment(
        self,
        issue: dict[str, Any],
        body: dict[str, Any],
        internal: bool,
        author: str,
        properties: Iterable[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        now = self._now()
        comment = {
            "id": str(self._next_comment),
            "body": body,
            "author": author,
            "created": now,
            "updated": now,
            "internal": internal and self.projects[issue["project"]].service_desk,
            "properties": [dict(p) for p in properties],
        }
        self._next_comment += 1
        issue["comments"].append(comment)
        self._touch(issue)
        for from_status, to_status, public_only in self.comment_transitions:
            if issue["status"] == from_status and not (public_only and comment["internal"]):
                self._set_status(issue, to_status)
                break
        return comment

    def _attach(self, issue: dict[str, Any], filename: str, data: bytes, mime_type: str, author: str) -> dict[str, Any]:
        attachment = {
            "id": str(self._next_attachment),
            "media_id": str(uuid.uuid4()),
            "filename": filename,
            "author": author,
            "created": self._now(),
            "size": len(data),
            "mime_type": mime_type,
            "data": bytes(data),
        }
        self._next_attachment += 1
        issue["attachments"].append(attachment)
        return attachment

    def _touch(self, issue: dict[str, Any]) -> None:
        issue["updated"] = self._now()
        self._reindex(issue)

    # -- the search index ---------------------------------------------------------------

    def _reindex(self, issue: dict[str, Any]) -> None:
        pending = _Pending(
            issue["id"],
            copy.deepcopy(issue),
            self.clock.now() + timedelta(seconds=self._lag.seconds),
            self._lag.searches,
        )
        waiting = any(p.issue_id == issue["id"] for p in self._lag.pending)
        if self._lag.seconds <= 0 and self._lag.searches <= 0 and not waiting:
            self._publish(pending)
        else:
            self._lag.pending.append(pending)

    def _publish(self, pending: _Pending) -> None:
        if pending.snapshot is None:
            self._index.pop(pending.issue_id, None)
        else:
            self._index[pending.issue_id] = pending.snapshot

    def searchable(self, reconcile: Iterable[str] = ()) -> list[dict[str, Any]]:
        """What one search sees: the index as of now, plus live state for reconciled ids."""
        now = self.clock.now()
        still: list[_Pending] = []
        waiting: set[str] = set()
        for pending in self._lag.pending:
            # An issue's changes reach the index in order: none overtakes an older one.
            if pending.issue_id not in waiting and pending.visible_at <= now and pending.searches_left <= 0:
                self._publish(pending)
            else:
                still.append(pending)
                waiting.add(pending.issue_id)
        for pending in still:
            pending.searches_left -= 1
        self._lag.pending = still
        view = dict(self._index)
        for issue_id in reconcile:
            if issue_id in self._issues:
                view[issue_id] = copy.deepcopy(self._issues[issue_id])
        return list(view.values())

    def search_context(self, account: Account) -> SearchContext:
        return SearchContext(
            user_tz=ZoneInfo(account.timezone),
            now=self.clock.now(),
            projects=frozenset(self.projects),
            statuses=frozenset(s.casefold() for s in STATUSES),
        )

    # -- HTTP ---------------------------------------------------------------------------

    def create_app(self) -> Flask:
        from tests.fakes.jira_http import build_app

        return build_app(self)

    def authenticate(self) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "basic":
            return None  # API tokens go in Basic auth; a Bearer here is an OAuth app's token
        try:
            email, _, token = base64.b64decode(credentials.strip()).decode().partition(":")
        except ValueError:
            return None
        with self.lock:
            account = self.accounts.get(email)
            return email if account is not None and token and account.token == token else None

    def unauthorized(self) -> Response:
        response = error(401, ["Client must be authenticated to access this resource."])
        response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
        return response

    def error_response(self, status: int, message: str, detail: str | None = None) -> Response:
        return error(status, [message] if message else [])

    def rate_headers(self, state: RateState) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(state.limit), "X-RateLimit-Remaining": str(state.remaining)}
        if state.limited:
            headers["X-RateLimit-Reset"] = state.reset_at.strftime("%Y-%m-%dT%H:%MZ")
            headers["RateLimit-Reason"] = "jira-quota-based"
        elif state.remaining < 0.2 * state.limit:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers


def error(status: int, messages: list[str], errors: Mapping[str, str] | None = None) -> Response:
    """Jira's error body: messages about the request, and errors keyed by field."""
    return json_response({"errorMessages": messages, "errors": dict(errors or {})}, status)
