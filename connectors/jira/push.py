"""Pushing hub changes out: create once (found by our label), fields by an edit, the status by
a transition, comments and files posted once (see connectors.jira.connector)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.jira.adf import adf_to_text, normalize_text, text_to_adf
from connectors.jira.config import STATUS_BY_CATEGORY
from connectors.jira.fields import (
    STATUS,
    api_value,
    flatten,
    is_moment,
    jql_string,
    outgoing,
    parse_time,
    refused_fields,
    word,
)
from connectors.jira.rest import (
    API,
    COMMENT_MAX,
    INTERNAL_PROPERTY,
    NO_INTERNAL_FILES,
    OUR_PROPERTY,
    OWN_COMMENTS_CHECKED,
    JiraRest,
)
from hub.sdk import Attachment, FatalError, OutboundMessage, PushResult, RetriableError, TicketInfo
from hub.sdk.sync import FieldRule, earliest_copy, not_before, outbound_file, remote_visibility, values_hash
from hub.sdk.write_effects import OWN_EFFECTS, changed_remotely

CUSTOM = "customfield_"


class JiraPush(JiraRest):
    """Writes the hub's changes to Jira."""

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
        moments = {rule.remote for rule in rules if is_moment(rule)}
        for remote, value in send.items():
            shaped = api_value(remote, value, fields.get(remote), moment=remote in moments,
                               schema=self.schema_of(remote) if remote.startswith(CUSTOM) else "")
            # Jira takes no value for a description or a date-time (cleared), and refuses it
            # for a priority or an option.
            if remote != STATUS and (shaped is not None or remote == "description" or remote in moments
                                     or remote.startswith(CUSTOM)):
                edits[remote] = shaped
        notes: list[str] = []
        if edits:
            self._edit(issue_id, edits, rules)
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


    def _edit(self, issue_id: str, edits: dict[str, Any], rules: list[FieldRule]) -> None:
        """Write the fields; a field Jira will not take (not on the edit screen, unknown, a
        component the project lacks) fails the delivery naming it and the rule behind it."""
        try:
            self.client.put(f"{API}/issue/{issue_id}", json={"fields": edits})
        except FatalError as exc:
            if exc.status != 400:
                raise
            raise FatalError(f"Jira refused {refused_fields(edits, rules, exc.message)} on issue {issue_id}: "
                             f"{exc.message}; "
                             "fix the instance's field rules or the project's screens", status=400) from exc

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
            self._wait_for_index(message)
        fields: dict[str, Any] = {"project": {"key": str(self.config["project"]).upper()},
                                  "issuetype": {"name": issue_type}, "labels": [label]}
        rules = self.rules(ticket.kind)
        moments = {rule.remote for rule in rules if is_moment(rule)}
        for remote, value in wanted.items():
            shaped = api_value(remote, value, moment=remote in moments,
                               schema=self.schema_of(remote) if remote.startswith(CUSTOM) else "") \
                if remote != STATUS else None
            if shaped is not None and shaped != []:
                fields[remote] = shaped
        try:
            created = self.client.post(f"{API}/issue", json={"fields": fields}).json()
        except FatalError as exc:
            if exc.status != 400:
                raise
            raise FatalError(f"Jira refused to create the issue with {refused_fields(fields, rules, exc.message)}: "
                             f"{exc.message}; fix the instance's field rules or the project's screens",
                             status=400) from exc
        if not isinstance(created, dict) or not created.get("id"):
            raise FatalError("Jira answered a create without the issue's id")
        return str(created["id"]), "created"


    def _wait_for_index(self, message: OutboundMessage) -> None:
        """Search lags behind writes: an issue an earlier try made may not show yet.

        A retry that does not find it waits the settle time and looks again before it
        creates: every other attempt waits, so each create follows a search made at least
        ``index_settle_seconds`` after the previous create. Counting from the attempts, not
        from when the ticket was made, holds when deliveries run late (a backlog, a loaded
        machine): a first try made a minute after the ticket still gets its settle time.
        """
        settle = int(self.config["index_settle_seconds"])
        if settle and message.attempt % 2 == 0:
            raise RetriableError(f"waiting {settle}s for Jira's search index before creating the issue again, "
                                 "in case the last try made it", retry_after=settle)


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
