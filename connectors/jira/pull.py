"""Pulling changed issues in: the overlapping ``updated`` window, each issue version with its
comments and new files, read as a sync draft (see connectors.jira.connector for the whole story)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from connectors.jira.adf import adf_to_text
from connectors.jira.fields import flatten, from_millis, jql_string, millis, our_ref, parse_time
from connectors.jira.rest import (
    API,
    DOWNLOAD_CHUNK,
    JQL_TIME,
    RECENT_KEPT,
    UNKNOWN_ZONE_MARGIN,
    JiraRest,
    issue_key,
    key_millis,
    slim_comment,
    updated_millis,
    zone_of,
)
from hub.sdk import Checkpoint, EventInfo, FatalError, RawEvent, SkippableError, TicketDraft
from hub.sdk.sync import RemoteAttachment, RemoteComment, RemoteRecord, draft_for


class JiraPull(JiraRest):
    """Polls changed issues and reads each one."""

    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint]:
        me = self.me()
        zone = zone_of(me.get("timeZone"))
        cursor: int | None = state.get("cursor")
        seen = set(state.get("recent") or [])
        shipped = list(state.get("attachments_shipped") or [])
        wanted = self._field_names() + ",comment" + (",attachment" if self.syncs_attachments else "")
        since = self._since(cursor, zone)
        jql = self._scope() + (f" AND updated >= {jql_string(since[0])}" if since else "") + \
            " ORDER BY updated ASC, key ASC"
        token: str | None = None
        while True:
            page = self._search(jql, limit=int(self.config["page_size"]), fields=wanted, token=token)
            issues = [issue for issue in page["issues"] if isinstance(issue, dict) and issue.get("id")]
            for issue in issues:
                key = issue_key(issue)
                if key in seen:
                    continue
                seen.add(key)
                fields = dict(issue.get("fields") or {})
                comments = self._comments(str(issue["id"]), fields.pop("comment", None))
                files = self.ship_attachments(self._remote_files(fields.pop("attachment", None)), self._download,
                                              shipped)
                yield RawEvent(idempotency_key=key, payload={
                    "issue": {"id": str(issue["id"]), "key": issue.get("key"), "fields": fields},
                    "comments": comments, "attachments": files, "me": me.get("accountId")})
            if issues:
                cursor = max([cursor or 0, *(updated_millis(issue) for issue in issues)])
                start = self._since(cursor, zone)
                floor = start[1] if start else 0
                # Versions the next query may return again: skipped then, so a resumed or
                # repeated poll yields nothing twice (beyond the cap, the event key still holds).
                recent = sorted((key for key in seen if key_millis(key) >= floor), key=key_millis, reverse=True)
                seen = set(recent[:RECENT_KEPT])
                yield Checkpoint({"cursor": cursor, "recent": recent[:RECENT_KEPT], "attachments_shipped": shipped})
            token = page.get("nextPageToken")
            if not token or page.get("isLast") is True:
                return


    def _since(self, cursor: int | None, zone: ZoneInfo | None) -> tuple[str, int] | None:
        """The JQL time to search from, and that moment in epoch milliseconds."""
        if cursor:
            start = from_millis(cursor) - timedelta(seconds=int(self.config["overlap_seconds"]))
        else:
            configured = self.config.get("import_since")
            if isinstance(configured, str):
                configured = datetime.fromisoformat(configured)
            if not isinstance(configured, datetime):
                return None
            start = configured if configured.tzinfo else configured.replace(tzinfo=UTC)
        if zone is None:
            start -= UNKNOWN_ZONE_MARGIN
        local = start.astimezone(zone or UTC).replace(second=0, microsecond=0)
        return local.strftime(JQL_TIME), millis(local)


    def _comments(self, issue_id: str, inline: Any) -> list[dict[str, Any]]:
        """The issue's comments: those the search brought, and the rest page by page."""
        page = inline if isinstance(inline, dict) else {}
        found = [c for c in page.get("comments") or [] if isinstance(c, dict)]
        total = int(page.get("total") or 0)
        while len(found) < total:
            more = self.client.get(f"{API}/issue/{issue_id}/comment", params={
                "startAt": str(len(found)), "maxResults": "100", "orderBy": "created", "expand": "properties"}).json()
            batch = [c for c in (more or {}).get("comments") or [] if isinstance(c, dict)]
            if not batch:
                break
            found.extend(batch)
        return [slim_comment(comment) for comment in found]


    def _remote_files(self, listed: Any) -> list[RemoteAttachment]:
        """The issue's files, but those the hub's account added: they are hub files already."""
        files = []
        for item in listed if isinstance(listed, list) else []:
            if not isinstance(item, Mapping) or not item.get("id") or self._mine(item.get("author")):
                continue
            raw_author = item.get("author")
            author: Mapping[str, Any] = raw_author if isinstance(raw_author, Mapping) else {}
            size = item.get("size")
            files.append(RemoteAttachment(
                id=str(item["id"]), filename=str(item.get("filename") or "attachment"),
                content_type=str(item.get("mimeType") or "application/octet-stream"),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                author=str(author.get("displayName") or author.get("emailAddress") or "")))
        return files


    def _download(self, item: RemoteAttachment) -> bytes:
        """The file's bytes, read no further than one past the instance's limit.

        Jira answers with a redirect to its media store, which requests follows (and
        sends no credentials to another host). A file deleted since the search is named
        on the ticket as not copied, rather than failing the whole poll.
        """
        try:
            response = self.client.get(f"{API}/attachment/content/{quote(item.id, safe='')}",
                                       headers={"Accept": "*/*"}, stream=True)
        except FatalError as exc:
            if exc.status != 404:
                raise
            item.refused = "Jira no longer has it"
            return b""
        limit = self.attachment_max_bytes + 1
        data = bytearray()
        try:
            for chunk in response.iter_content(DOWNLOAD_CHUNK):
                data.extend(chunk)
                if len(data) >= limit:
                    break
        finally:
            response.close()
        return bytes(data[:limit])


    def normalize(self, event: EventInfo) -> TicketDraft:
        payload = event.payload or {}
        issue = payload.get("issue")
        if not isinstance(issue, Mapping) or not issue.get("id") or not isinstance(issue.get("fields"), Mapping):
            raise SkippableError("not a Jira issue event")
        fields = issue["fields"]
        kind = self.kind_of(fields)
        if kind is None:
            raise SkippableError(f"{issue.get('key')} is a {flatten(fields.get('issuetype')) or 'typeless'} issue, "
                                 "which this instance does not sync")
        rules = self.rules(kind)
        me, email = payload.get("me"), str(self.config["email"]).casefold()
        comments = [RemoteComment(id=str(c["id"]), body=adf_to_text(c.get("body")),
                                  visibility="internal" if c.get("internal") else "public",
                                  author=str(c.get("author") or ""), created_at=str(c.get("created") or ""))
                    for c in payload.get("comments") or []
                    # Our own, written by push: the hub has them already.
                    if c.get("id") and not (c.get("account_id") == me or c.get("email") == email)]
        updated = parse_time(fields.get("updated"))
        remote = RemoteRecord(kind=kind, external_id=str(issue["id"]), fields=self.words(rules, fields, kind,
                                                                                           reading=True),
                              version=str(millis(updated)), updated_at=updated, url=self._url(issue.get("key")),
                              our_ref=our_ref(fields.get("labels"), str(self.config["reference_label"])),
                              comments=comments,
                              attachments=[RemoteAttachment.load(item) for item in payload.get("attachments") or []
                                           if isinstance(item, Mapping)])
        draft = draft_for(remote, rules)
        if issue.get("key"):
            draft.custom_fields["jira_key"] = str(issue["key"])
        _requester(draft, fields.get("reporter"), me)
        return draft


def _requester(draft: TicketDraft, reporter: Any, me: Any) -> None:
    """Who asked: the issue's reporter (a service desk's customer), by address when Jira shows
    it, else by account id (Jira Cloud hides addresses unless the profile shares them), so the
    hub knows them as one customer across channels. Issues the hub itself created have the
    integration account as reporter: no one to name."""
    if not isinstance(reporter, Mapping) or not reporter.get("accountId") or reporter.get("accountId") == me:
        return
    name = reporter.get("displayName")
    if isinstance(name, str) and name.strip():
        draft.requester_name = name.strip()[:200]
    email = reporter.get("emailAddress")
    if isinstance(email, str) and "@" in email:
        draft.requester_email = email.strip()
    else:
        draft.requester_account = str(reporter["accountId"])
