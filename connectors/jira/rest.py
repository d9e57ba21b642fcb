"""Jira's REST v3 as the connector reads it: the client, the account it acts as, searches,
issues and the words of its fields, and the values (times, keys, comments) in and out.

The pulling side (connectors.jira.pull) and the pushing side (connectors.jira.push) both
build on :class:`JiraRest`; connectors.jira.connector puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.jira.config import STATUS_BY_CATEGORY
from connectors.jira.fields import flatten, jql_string, millis, parse_time, word
from hub.sdk import FatalError, HttpClient
from hub.sdk.sync import FieldRule, SyncConnector

API = "/rest/api/3"
JQL_TIME = "%Y/%m/%d %H:%M"
RECENT_KEPT = 5000
INTERNAL_PROPERTY = "sd.public.comment"
OUR_PROPERTY = "itsm-hub"
"""A comment property naming the outbox message that posted it: a repeated attempt finds
its earlier copy by it, whatever the text became."""
OWN_COMMENTS_CHECKED = 50
COMMENT_MAX = 32_000
UNKNOWN_ZONE_MARGIN = timedelta(hours=14)
"""Without the account's time zone, JQL times may be read up to this far off."""
READ_FIELDS = ("summary", "status", "issuetype", "labels", "updated", "reporter")
DOWNLOAD_CHUNK = 64 * 1024
NO_INTERNAL_FILES = "Jira has no internal attachments"


class JiraRest(SyncConnector):
    """The REST plumbing and reads both sides share."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._myself: dict[str, Any] | None = None
        self._schemas: dict[str, str] | None = None

    @property
    def site(self) -> str:
        return str(self.config["site_url"]).rstrip("/")


    def make_client(self) -> HttpClient:
        # No default Content-Type: requests sets application/json for json= bodies, and an
        # upload's multipart/form-data with its boundary, which a default would replace.
        return self.http(self.site, headers={"Accept": "application/json"},
                         auth=(str(self.config["email"]), str(self.config["api_token"])), timeout=self.timeout)


    def me(self) -> dict[str, Any]:
        """The account the hub works as: its id (to know our own comments) and time zone."""
        if self._myself is None:
            answer = self.client.get(f"{API}/myself").json()
            if not isinstance(answer, dict) or not answer.get("accountId"):
                raise FatalError("Jira answered /myself without an account")
            self._myself = answer
        return self._myself


    def schema_of(self, remote: str) -> str:
        """A field's schema type (``option``, ``datetime``, ``array``...), read once from
        ``/field``: it says how to write a value to a field that holds none yet."""
        if self._schemas is None:
            answer = self.client.get(f"{API}/field").json()
            self._schemas = {str(item.get("id")): str((item.get("schema") or {}).get("type") or "")
                             for item in answer if isinstance(item, dict)} if isinstance(answer, list) else {}
        return self._schemas.get(remote, "")

    def types_of(self, kind: str) -> list[str]:
        """The issue types a hub kind is synced as; none for a kind the project does not take
        (a problem is the hub's own: it must not become a Jira change)."""
        setting = {"incident": "incident_types", "change": "change_types"}.get(kind)
        return list(self.config.get(setting) or []) if setting else []


    def kind_of(self, fields: Mapping[str, Any]) -> str | None:
        name = flatten(fields.get("issuetype")).casefold()
        for kind in ("incident", "change"):
            if name in (t.casefold() for t in self.types_of(kind)):
                return kind
        return None


    def words(self, rules: list[FieldRule], fields: Mapping[str, Any], kind: str, *,
              reading: bool = False) -> dict[str, str]:
        """The issue's values for these rules, in the words the rules write."""
        out: dict[str, str] = {}
        for rule in rules:
            if rule.remote not in out and (rule.reads or not reading):
                out[rule.remote] = word(rule, fields.get(rule.remote), STATUS_BY_CATEGORY[kind])
        return out


    def _url(self, key: Any) -> str:
        return f"{self.site}/browse/{key}"


    def _label(self, ref: str) -> str:
        return f"{self.config['reference_label']}{ref}"


    def _field_names(self) -> str:
        return ",".join(sorted({rule.remote for rule in self.rules()} | set(READ_FIELDS)))


    def _search(self, jql: str, *, limit: int, fields: str, token: str | None = None) -> dict[str, Any]:
        params = {"jql": jql, "maxResults": str(limit), "fields": fields}
        if token:
            params["nextPageToken"] = token
        page = self.client.get(f"{API}/search/jql", params=params).json()
        if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
            raise FatalError("Jira answered a search without an issue list")
        return page


    def _issue(self, issue_id: str) -> dict[str, Any]:
        issue = self.client.get(f"{API}/issue/{issue_id}", params={"fields": self._field_names()}).json()
        if not isinstance(issue, dict) or not isinstance(issue.get("fields"), dict):
            raise FatalError(f"Jira answered issue {issue_id} without its fields")
        return issue


    def _scope(self) -> str:
        types = [*self.config.get("incident_types", []), *self.config.get("change_types", [])]
        return (f"project = {jql_string(str(self.config['project']).upper())} AND issuetype in "
                f"({', '.join(jql_string(t) for t in types)})")


    def check_connection(self) -> str:
        me = self.me()
        self._search(self._scope(), limit=1, fields="id")
        return f"{self.site}: signed in as {me.get('displayName') or me.get('accountId')}, project " \
               f"{str(self.config['project']).upper()} readable"


    def _mine(self, user: Any) -> bool:
        """Whether a Jira user object is the account the hub works as."""
        if not isinstance(user, Mapping):
            return False
        email = str(user.get("emailAddress") or "").casefold()
        return user.get("accountId") == self.me().get("accountId") or (
            bool(email) and email == str(self.config["email"]).casefold())


def updated_millis(issue: Mapping[str, Any]) -> int:
    return millis(parse_time((issue.get("fields") or {}).get("updated")))


def issue_key(issue: Mapping[str, Any]) -> str:
    return f"{issue.get('id')}:{updated_millis(issue)}"


def key_millis(key: str) -> int:
    tail = key.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def zone_of(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def slim_comment(comment: Mapping[str, Any]) -> dict[str, Any]:
    """What normalize needs of a comment, and whether it is internal (JSM)."""
    raw_author = comment.get("author")
    author: Mapping[str, Any] = raw_author if isinstance(raw_author, Mapping) else {}
    internal = comment.get("jsdPublic") is False or comment.get("visibility") is not None or any(
        isinstance(p, Mapping) and p.get("key") == INTERNAL_PROPERTY and isinstance(p.get("value"), Mapping)
        and p["value"].get("internal") is True for p in comment.get("properties") or [])
    return {"id": str(comment.get("id") or ""), "body": comment.get("body"), "internal": internal,
            "author": author.get("displayName") or author.get("emailAddress") or "",
            "account_id": author.get("accountId"), "email": str(author.get("emailAddress") or "").casefold() or None,
            "created": comment.get("created")}

