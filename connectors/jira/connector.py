"""The Jira Cloud / Jira Service Management connector: polls changed issues in, pushes hub
changes out, over REST v3.

Pull: the enhanced search (``/rest/api/3/search/jql``, paged by ``nextPageToken``) for
``updated >= cursor - overlap``, ordered by ``updated``. JQL takes times to the minute,
in the searching account's time zone (``/myself``), and the index lags behind writes, so
the overlap is wide; each issue version is one event keyed ``issue id:updated``, and the
keys inside the overlap are kept in the poll state, so re-reading costs no event. The
comments of each issue travel with it, public or internal (JSM's ``jsdPublic``).

Push: fields by an edit, the status by a transition (GET the transitions, POST the one
whose target status means the hub's). An issue the hub makes carries the label
``<prefix><ticket ref>``; a create first searches for it, so a create whose answer was
lost is found, never made twice. As for every sync connector, an update reads the issue
first and leaves alone a field changed remotely since the last sync: the next poll
settles that conflict by the field's policy.

Attachments: the search asks for ``fields.attachment`` too. A file not fetched before
(the poll state keeps their ids) and not added by the hub's own account is downloaded
from ``/attachment/content/{id}`` and travels in the event; a hub file is uploaded as
multipart/form-data with ``X-Atlassian-Token: no-check``. Jira attachments have no
visibility of their own (a JSM customer sees them all), so remote files are public and
an internal hub file stays in the hub.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.jira.adf import adf_to_text, normalize_text, text_to_adf
from connectors.jira.config import DEFAULT_EFFECTS, DEFAULT_RULES, STATUS_BY_CATEGORY, JiraConfig
from connectors.jira.fields import (
    STATUS,
    api_value,
    flatten,
    from_millis,
    jql_string,
    millis,
    our_ref,
    outgoing,
    parse_time,
    word,
)
from hub.sdk import (
    Attachment,
    Checkpoint,
    EventInfo,
    FatalError,
    HttpClient,
    OutboundMessage,
    PushResult,
    RawEvent,
    RetriableError,
    SkippableError,
    TicketDraft,
    TicketInfo,
)
from hub.sdk.sync import (
    FieldRule,
    RemoteAttachment,
    RemoteComment,
    RemoteRecord,
    SyncConnector,
    draft_for,
    earliest_copy,
    not_before,
    outbound_file,
    remote_visibility,
    values_hash,
)
from hub.sdk.write_effects import OWN_EFFECTS, WriteEffect, changed_remotely

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
READ_FIELDS = ("summary", "status", "issuetype", "labels", "updated")
DOWNLOAD_CHUNK = 64 * 1024
NO_INTERNAL_FILES = "Jira has no internal attachments"


class JiraConnector(SyncConnector):
    slug = "jira"
    title = "Jira Service Management"
    version = "0.1.0"
    description = "Two-way sync of issues with Jira Cloud and Jira Service Management (REST v3)."
    config_schema = JiraConfig
    default_field_rules: ClassVar[tuple[FieldRule, ...]] = DEFAULT_RULES
    default_write_effects: ClassVar[tuple[WriteEffect, ...]] = DEFAULT_EFFECTS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._myself: dict[str, Any] | None = None

    # -- plumbing ------------------------------------------------------------------------

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

    def types_of(self, kind: str) -> list[str]:
        return list(self.config.get("incident_types" if kind == "incident" else "change_types") or [])

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

    # -- pull ----------------------------------------------------------------------------

    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint]:
        me = self.me()
        zone = _zone(me.get("timeZone"))
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
                key = _key(issue)
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
                cursor = max([cursor or 0, *(_updated(issue) for issue in issues)])
                start = self._since(cursor, zone)
                floor = start[1] if start else 0
                # Versions the next query may return again: skipped then, so a resumed or
                # repeated poll yields nothing twice (beyond the cap, the event key still holds).
                recent = sorted((key for key in seen if _key_millis(key) >= floor), key=_key_millis, reverse=True)
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
        return [_slim_comment(comment) for comment in found]

    def _mine(self, user: Any) -> bool:
        """Whether a Jira user object is the account the hub works as."""
        if not isinstance(user, Mapping):
            return False
        email = str(user.get("emailAddress") or "").casefold()
        return user.get("accountId") == self.me().get("accountId") or (
            bool(email) and email == str(self.config["email"]).casefold())

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
        return draft

    # -- push ----------------------------------------------------------------------------

    def push(self, message: OutboundMessage) -> PushResult:
        ticket = message.ticket
        if ticket is None:
            return PushResult(detail="no ticket to send")
        types = self.types_of(ticket.kind)
        if not types:
            return PushResult(detail=f"{ticket.kind} tickets are not synced with this project")
        rules = self.rules(ticket.kind)
        wanted = {rule.remote: outgoing(rule.remote, rule.to_remote(getattr(ticket, rule.field, None)), ticket.ref)
                  for rule in rules if rule.writes}
        if message.link is not None:
            issue_id = message.link.external_id
            if message.action == "comment":
                return PushResult(detail=self._comment(issue_id, message))
            if message.action == "attachment":
                return PushResult(detail=self._attach(issue_id, message))
            synced = dict((message.link.data or {}).get("synced") or {})
            synced, detail, _ = self._bring_in_step(issue_id, rules, wanted, synced, ticket.kind,
                                                    (message.link.data or {}).get(OWN_EFFECTS))
            return PushResult(synced_hash=values_hash(synced), data={"synced": synced}, detail=detail)
        issue_id, made = self._find_or_create(message, ticket, wanted, types[0])
        synced, detail, issue_key = self._bring_in_step(issue_id, rules, wanted, None, ticket.kind)
        if message.action == "comment":
            detail += "; " + self._comment(issue_id, message)
        elif message.action == "attachment":
            detail += "; " + self._attach(issue_id, message)
        return PushResult(external_id=issue_id, url=self._url(issue_key), synced_hash=values_hash(synced),
                          data={"synced": synced}, detail=f"{made} {issue_key}; {detail}")

    def _bring_in_step(self, issue_id: str, rules: list[FieldRule], wanted: dict[str, str],
                       synced: dict[str, str] | None, kind: str, own: dict[str, Any] | None = None,
                       ) -> tuple[dict[str, str], str, str]:
        """Send the wanted values the remote lacks; the values now agreed, what was done, the issue key.

        ``synced`` None: nothing was agreed yet (an issue just made, or found by our
        label), so the issue's values are the base and the hub's win where they differ.
        ``own``: values a field may show because of the hub's own writes (no Jira edit).
        """
        issue = self._issue(issue_id)
        fields = issue["fields"]
        current = self.words(rules, fields, kind)
        synced = dict(current) if synced is None else synced
        send: dict[str, str] = {}
        for remote, value in wanted.items():
            now = current.get(remote, "")
            if now == value:
                synced[remote] = value
            elif changed_remotely(remote, now, synced, own):
                continue  # changed remotely too: the next poll settles it by the field's policy
            else:
                send[remote] = value
        edits: dict[str, Any] = {}
        for remote, value in send.items():
            shaped = api_value(remote, value, fields.get(remote))
            # Jira takes no value for a description (cleared), and refuses it for a priority or an option.
            if remote != STATUS and (shaped is not None or remote == "description"):
                edits[remote] = shaped
        notes: list[str] = []
        if edits:
            self.client.put(f"{API}/issue/{issue_id}", json={"fields": edits})
            synced.update({remote: send[remote] for remote in edits})
            notes.append(f"sent {', '.join(sorted(edits))}")
        if STATUS in send:
            status_rule = next(rule for rule in rules if rule.remote == STATUS)
            reached = self._move(issue_id, send[STATUS], status_rule, kind)
            if reached is None:
                notes.append(f"no transition from {flatten(fields.get(STATUS))} to {send[STATUS]}")
            else:
                synced[STATUS] = reached
                notes.append(f"moved to {reached}")
        return synced, "; ".join(notes) or "already in step", str(issue.get("key") or issue_id)

    def _move(self, issue_id: str, wanted: str, rule: FieldRule, kind: str) -> str | None:
        """Take the transition to a status that means ``wanted``; the word reached, or None."""
        answer = self.client.get(f"{API}/issue/{issue_id}/transitions").json()
        offered = [t for t in (answer or {}).get("transitions") or [] if isinstance(t, dict) and t.get("id")]
        fallback = STATUS_BY_CATEGORY[kind]
        folded = wanted.casefold()
        chosen = (next((t for t in offered if flatten(t.get("to")).casefold() == folded), None)
                  or next((t for t in offered if str(t.get("name") or "").casefold() == folded), None)
                  or next((t for t in offered if word(rule, t.get("to"), fallback) == wanted), None))
        if chosen is None:
            return None
        try:
            self.client.post(f"{API}/issue/{issue_id}/transitions", json={"transition": {"id": str(chosen["id"])}})
        except FatalError as exc:
            # The workflow moved on between reading and taking the transition: read again later.
            raise RetriableError(f"transition {chosen.get('name')} refused: {exc.message}", status=exc.status) from exc
        return word(rule, chosen.get("to"), fallback)

    def _find_or_create(self, message: OutboundMessage, ticket: TicketInfo, wanted: dict[str, str],
                        issue_type: str) -> tuple[str, str]:
        label = self._label(ticket.ref)
        found = self._search(f"labels = {jql_string(label)} ORDER BY created ASC", limit=1, fields="id")["issues"]
        if found:
            return str(found[0]["id"]), "linked to"
        if message.attempt > 1:
            self._wait_for_index(ticket)
        fields: dict[str, Any] = {"project": {"key": str(self.config["project"]).upper()},
                                  "issuetype": {"name": issue_type}, "labels": [label]}
        for remote, value in wanted.items():
            shaped = api_value(remote, value) if remote != STATUS else None
            if shaped is not None:
                fields[remote] = shaped
        created = self.client.post(f"{API}/issue", json={"fields": fields}).json()
        if not isinstance(created, dict) or not created.get("id"):
            raise FatalError("Jira answered a create without the issue's id")
        return str(created["id"]), "created"

    def _wait_for_index(self, ticket: TicketInfo) -> None:
        """Search lags behind writes: an issue an earlier try made may not show yet."""
        made = ticket.created_at if ticket.created_at.tzinfo else ticket.created_at.replace(tzinfo=UTC)
        left = int(self.config["index_settle_seconds"]) - (datetime.now(UTC) - made).total_seconds()
        if left > 0:
            raise RetriableError(f"waiting {left:.0f}s for Jira's search index before creating the issue again, "
                                 "in case the last try made it", retry_after=left)

    def _comment(self, issue_id: str, message: OutboundMessage) -> str:
        comment = (message.payload or {}).get("comment") or {}
        body = normalize_text(str(comment.get("body") or "")).strip()[:COMMENT_MAX]
        if not body:
            return "empty comment not sent"
        internal = remote_visibility(comment) == "internal"
        # An attempt above 1 may follow one that reached Jira (a lost answer, a killed
        # worker): look for it first. A first attempt cannot have a twin: no read.
        if message.attempt > 1 and self._commented(issue_id, body, message.idempotency_key, earliest_copy(message)):
            return "comment already there (an earlier try's answer was lost)"
        properties = [{"key": OUR_PROPERTY, "value": {"message": message.idempotency_key}}]
        if internal:
            properties.append({"key": INTERNAL_PROPERTY, "value": {"internal": True}})
        self.client.post(f"{API}/issue/{issue_id}/comment", json={"body": text_to_adf(body), "properties": properties})
        return "internal comment added" if internal else "comment added"

    def _commented(self, issue_id: str, body: str, key: str, since: datetime | None) -> bool:
        """Whether one of our latest comments is this message's: by its property, or (one
        posted before comments carried it) by its text and time."""
        answer = self.client.get(f"{API}/issue/{issue_id}/comment", params={
            "orderBy": "-created", "maxResults": str(OWN_COMMENTS_CHECKED), "expand": "properties"}).json()
        mine = self.me().get("accountId")
        for found in (answer or {}).get("comments") or []:
            if not isinstance(found, dict) or (found.get("author") or {}).get("accountId") != mine:
                continue
            tags = [p.get("value") for p in found.get("properties") or []
                    if isinstance(p, dict) and p.get("key") == OUR_PROPERTY]
            if tags:
                if any(isinstance(tag, dict) and tag.get("message") == key for tag in tags):
                    return True
            elif adf_to_text(found.get("body")).strip() == body and not_before(parse_time(found.get("created")),
                                                                                  since):
                return True
        return False

    def _attach(self, issue_id: str, message: OutboundMessage) -> str:
        """Upload a hub file to the issue; what was done."""
        found = outbound_file(message)
        if found is None or not self.syncs_attachments:
            return "attachments are not synced"
        file, visibility = found
        if visibility == "internal":
            # A JSM customer sees every attachment of their request.
            return f"internal file {file.filename} kept in the hub: {NO_INTERNAL_FILES}"
        there = self._attached(issue_id, file, earliest_copy(message)) if message.attempt > 1 else None
        if there is not None:
            return f"{file.filename} already attached ({there})"
        try:
            answer = self.client.post(f"{API}/issue/{issue_id}/attachments", headers={"X-Atlassian-Token": "no-check"},
                                      files={"file": (file.filename, file.data, file.content_type)}).json()
        except FatalError as exc:
            if exc.status != 413:
                raise
            # Sending it again cannot help; a dead letter shows the admin which file did not go.
            raise FatalError(f"{file.filename} kept in the hub: larger than Jira's attachment size limit "
                             f"({len(file.data)} bytes)", status=413) from exc
        made = [str(item.get("id")) for item in answer if isinstance(item, Mapping)] if isinstance(answer, list) else []
        return f"attached {file.filename} ({', '.join(made) or 'no id in the answer'})"

    def _attached(self, issue_id: str, file: Attachment, since: datetime | None) -> str | None:
        """The id of a file of this name and size the hub's account already put on the issue.

        Checked before a repeated attempt: the delivery counts an attempt before pushing,
        so a worker that died mid-call tries again as attempt 2 or more.
        """
        listed = self.client.get(f"{API}/issue/{issue_id}", params={"fields": "attachment"}).json()
        for item in ((listed or {}).get("fields") or {}).get("attachment") or []:
            if isinstance(item, Mapping) and item.get("filename") == file.filename \
                    and item.get("size") == len(file.data) and self._mine(item.get("author")) \
                    and not_before(parse_time(item.get("created")), since):
                return str(item.get("id"))
        return None


def _updated(issue: Mapping[str, Any]) -> int:
    return millis(parse_time((issue.get("fields") or {}).get("updated")))


def _key(issue: Mapping[str, Any]) -> str:
    return f"{issue.get('id')}:{_updated(issue)}"


def _key_millis(key: str) -> int:
    tail = key.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def _zone(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _slim_comment(comment: Mapping[str, Any]) -> dict[str, Any]:
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
