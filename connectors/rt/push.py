"""Pushing hub changes out: create once (found by our reference), update with If-Match and
read back what RT refused, replies and files posted once (see connectors.rt.connector)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import requests

from connectors.rt.config import CF_PREFIX, CREATE_STATUSES, REF_TAG, ref_tag
from connectors.rt.rest import (
    ENDPOINTS,
    OWN_MESSAGES_CHECKED,
    PUT_TRIES,
    RTRest,
    answer_text,
    as_int,
    as_text,
    aware,
    confirms_change,
    fit_subject,
    has_custom_field,
    quote,
    rt_body,
    rt_id,
    same_text,
    w3c_time,
)
from hub.sdk import FatalError, OutboundMessage, PushResult, RetriableError, SkippableError, TicketInfo
from hub.sdk.sync import (
    FieldRule,
    RemoteAttachment,
    earliest_copy,
    not_before,
    outbound_file,
    outbound_values,
    remote_speaks,
    remote_visibility,
    values_hash,
)
from hub.sdk.write_effects import OWN_EFFECTS, changed_remotely


class RTPush(RTRest):
    """Writes the hub's changes to RT."""

    def push(self, message: OutboundMessage) -> PushResult:
        ticket = message.ticket
        if ticket is None:
            return PushResult(detail="no ticket to send")
        if ticket.kind != self.config["kind"]:
            return PushResult(detail=f"{ticket.kind} tickets are not synced with queue {self.config['queue']}")
        if message.action == "attachment" and not self.syncs_attachments:
            return PushResult(detail="attachments are not synced (sync_attachments is off)")
        rules = self.rules(ticket.kind)
        wanted = outbound_values(rules, ticket)
        if "Subject" in wanted:
            wanted["Subject"] = fit_subject(wanted["Subject"])
        if message.link is None:
            return self._push_unlinked(message, ticket, rules, wanted)
        ticket_id = message.link.external_id
        if message.action == "comment":
            return PushResult(detail=self._post_message(ticket_id, message))
        if message.action == "attachment":
            return PushResult(detail=self._post_file(ticket_id, message))
        synced = dict((message.link.data or {}).get("synced") or {})
        sent = self._update(ticket_id, rules, wanted, synced, (message.link.data or {}).get(OWN_EFFECTS))
        return PushResult(synced_hash=values_hash(synced), data={"synced": synced},
                          detail=f"sent {', '.join(sent)}" if sent else "already in step")

    def _push_unlinked(self, message: OutboundMessage, ticket: TicketInfo, rules: list[FieldRule],
                       wanted: dict[str, str]) -> PushResult:
        ticket_id = self._find_ours(ticket)
        if ticket_id is None:
            ticket_id = self._create(ticket, wanted)
            content = ticket.description or ""
        else:
            created = next((row for row in self._history_rows(ticket_id) if row.get("Type") == "Create"), None)
            content = self._content(rt_id(created.get("id"))) if created else ""
        synced = self._fields(self._ticket(ticket_id)[0], rules, content)
        # What RT would not take at creation (a stalled status, say) goes in as an update.
        self._update(ticket_id, rules, wanted, synced)
        detail = f"linked to RT ticket {ticket_id}"
        if message.action == "comment":
            self._post_message(ticket_id, message)
        elif message.action == "attachment":
            detail += "; " + self._post_file(ticket_id, message)
        return PushResult(external_id=ticket_id, url=self._url(ticket_id), synced_hash=values_hash(synced),
                          data={"synced": synced}, detail=detail)

    def _find_ours(self, ticket: TicketInfo) -> str | None:
        since = aware(ticket.created_at) - timedelta(days=1)  # bounds the scan; clocks may differ a little
        query = self._in_queue(f"Subject LIKE {quote(ref_tag(ticket.ref).strip())}",
                               f"Created > {quote(self._rt_date(since))}")
        for item in self._search(query, fields="Subject,LastUpdated", per_page=20)["items"]:
            tag = REF_TAG.search(as_text(item.get("Subject")))
            if tag and tag.group(1) == ticket.ref:
                return rt_id(item.get("id"))
        return None

    def _create(self, ticket: TicketInfo, wanted: dict[str, str]) -> str:
        body: dict[str, Any] = {"Queue": self.config["queue"],
                                "Subject": fit_subject(wanted.get("Subject", ticket.title)) + ref_tag(ticket.ref)}
        if ticket.description:
            body.update(Content=ticket.description, ContentType="text/plain")
        if ticket.requester_email and remote_speaks(self.config, came_from_remote=False):
            body["Requestor"] = ticket.requester_email  # RT speaks to them: its scrips mail its requestors
        body.update(rt_body(self.rules(ticket.kind), {
            remote: value for remote, value in wanted.items()
            if remote != "Subject" and not (remote == "Status" and value not in CREATE_STATUSES)}))
        ticket_id = rt_id(self._object(self.client.post("/ticket", json=body)).get("id"))
        if not ticket_id:
            raise FatalError("RT answered the create without a ticket id")
        return ticket_id

    def _update(self, ticket_id: str, rules: list[FieldRule], wanted: dict[str, str],
                synced: dict[str, str], own: dict[str, Any] | None = None) -> list[str]:
        """Write what the hub changed and RT did not; updates ``synced``; returns the fields sent.

        ``own``: values a field may show because of the hub's own writes (its link's
        ``own_effects``), which are no RT edit."""
        for _ in range(PUT_TRIES):
            record, etag = self._ticket(ticket_id)
            current = self._fields(record, rules, None)
            send: dict[str, str] = {}
            for remote, value in wanted.items():
                now = current.get(remote, "")
                if now == value:
                    synced[remote] = value
                elif changed_remotely(remote, now, synced, own):
                    continue  # changed in RT too: the next poll settles it by the field's policy
                else:
                    send[remote] = value
            if not send:
                return []
            body = rt_body(rules, send)
            tag = REF_TAG.search(as_text(record.get("Subject")))
            if "Subject" in body and tag:
                body["Subject"] = f"{body['Subject']}{ref_tag(tag.group(1))}"
            response = self.client.put(f"/ticket/{ticket_id}", json=body, headers={"If-Match": etag} if etag else {},
                                       ok=(412,))
            if response.status_code == 412:
                self.log.info("RT ticket %s changed while the hub wrote to it; reading it again", ticket_id)
                continue
            self._check_applied(ticket_id, rules, send, response)
            synced.update(send)
            return sorted(send)
        raise RetriableError(f"RT ticket {ticket_id} kept changing while the hub wrote to it "
                             f"(412 Precondition Failed {PUT_TRIES} times); retried later", status=412)

    def _check_applied(self, ticket_id: str, rules: list[FieldRule], sent: dict[str, str],
                       response: requests.Response) -> None:
        """RT answers 200 with one message per change, refusals among them: a field no
        message confirms is read back, and one that did not change fails the delivery."""
        try:
            answer = response.json()
        except ValueError:
            answer = []
        messages = [str(item) for item in answer] if isinstance(answer, list) else []
        unconfirmed = [remote for remote in sent if not any(confirms_change(remote, text) for text in messages)]
        if not unconfirmed:
            return
        record = self._ticket(ticket_id)[0]
        now = self._fields(record, rules, None)
        refused = [remote for remote in unconfirmed if now.get(remote) != sent[remote]]
        lacking = [remote for remote in refused if remote.startswith(CF_PREFIX)
                   and not has_custom_field(record, remote[len(CF_PREFIX):])]
        if lacking:
            raise SkippableError(f"RT ticket {ticket_id} has no custom field "
                                 f"{', '.join(remote[len(CF_PREFIX):] for remote in lacking)}: apply it to queue "
                                 f"{self.config['queue']} in RT (and give the hub's RT user SeeCustomField and "
                                 "ModifyCustomField), or change the instance's field rules")
        if refused:
            said = "; ".join(messages) or "no message"
            raise SkippableError(f"RT refused {', '.join(refused)} on ticket {ticket_id} (answered 200): {said}")

    def _post_message(self, ticket_id: str, message: OutboundMessage) -> str:
        comment = message.payload.get("comment") or {}
        body = str(comment.get("body") or "").strip()
        if not body:
            return "empty comment; nothing sent"
        endpoint = ENDPOINTS[remote_visibility(comment)]
        # An attempt above 1 may follow one that reached RT (a lost answer, a killed worker):
        # look for it first. A first attempt cannot have a twin, so it costs no read.
        if message.attempt > 1 and self._already_posted(ticket_id, endpoint, body, earliest_copy(message)):
            return f"{endpoint} already in RT (an earlier answer was lost)"
        self.client.post(f"/ticket/{ticket_id}/{endpoint}", json={"Content": body, "ContentType": "text/plain"})
        return f"{endpoint} added"

    def _post_file(self, ticket_id: str, message: OutboundMessage) -> str:
        """Send a hub file as a reply (public) or a comment (internal), so it is exactly as
        visible in RT as in the hub."""
        sending = outbound_file(message)
        if sending is None:
            return "no file to send"
        file, visibility = sending
        name, size = file.filename, len(file.data)
        if not size:
            # REST2 refuses an empty FileContent as missing (Message.pm from_json).
            return f"{name} is empty: RT's REST API takes no empty file, so it stays in the hub"
        if message.attempt > 1 and self._has_file(ticket_id, name, file.data, earliest_copy(message)):
            return f"{name} already in RT ticket {ticket_id} (an earlier answer was lost)"
        endpoint = ENDPOINTS[visibility]
        body = {"Content": f"File from the hub: {name}", "ContentType": "text/plain",
                "Attachments": [{"FileName": name, "FileType": file.content_type or "application/octet-stream",
                                 "FileContent": base64.b64encode(file.data).decode("ascii")}]}
        response = self.client.post(f"/ticket/{ticket_id}/{endpoint}", json=body)
        self._check_file_kept(ticket_id, name, file.data, response)
        return f"{name} sent with a {'comment' if endpoint == 'comment' else 'reply'}"

    def _has_file(self, ticket_id: str, name: str, data: bytes, since: datetime | None = None) -> bool:
        """Whether our RT user already attached this file to the ticket (``since`` then, if
        given): same name and size, and then the same bytes (two files may share both)."""
        for item in self._ticket_files(ticket_id):
            if (as_text(item.get("Filename")) == name and as_int(item.get("ContentLength")) == len(data)
                    and as_text(item.get("Creator")) == self.me and not_before(w3c_time(item.get("Created")), since)):
                found = RemoteAttachment(id=rt_id(item.get("id")), filename=name)
                if self._download(found) == data and found.refused is None:
                    return True
        return False

    def _check_file_kept(self, ticket_id: str, name: str, data: bytes, response: requests.Response) -> None:
        """RT answers 201 whatever it made of the file: with $TruncateLongAttachments or
        $DropLongAttachments it cuts or replaces one over $MaxAttachmentSize, and says
        nothing. The transaction's files are read back; a file not kept whole fails the
        delivery, naming what RT holds."""
        location = str(response.headers.get("Location") or "").rstrip("/")
        txn_id = location.rsplit("/", 1)[-1] if "/transaction/" in location else ""
        if not txn_id.isdigit():
            if not self._has_file(ticket_id, name, data):
                raise SkippableError(f"RT did not keep {name} on ticket {ticket_id}: {answer_text(response)}")
            return
        size = len(data)
        items = self._collection(f"/transaction/{txn_id}/attachments", {"fields": "Filename,ContentLength"})
        kept = [(as_text(item.get("Filename")), as_int(item.get("ContentLength"))) for item in items
                if as_text(item.get("Filename")) in (name, f"{name}.txt")]
        if (name, size) in kept:
            return
        if kept:
            held, length = kept[0]
            raise SkippableError(f"RT did not keep {name} whole on ticket {ticket_id}: it holds {held} of "
                                 f"{length} bytes, not {size} (its $MaxAttachmentSize, with truncating or "
                                 "dropping large attachments on)")
        raise SkippableError(f"RT did not keep {name} on ticket {ticket_id} (transaction {txn_id}): "
                             f"{answer_text(response)}")

    def _already_posted(self, ticket_id: str, endpoint: str, body: str, since: datetime | None) -> bool:
        """Whether one of our latest replies (or comments) on the ticket since ``since``
        holds this text, compared as RT may store it (line ends, trailing blanks)."""
        kind = "Comment" if endpoint == "comment" else "Correspond"
        ours = [row for row in self._history_rows(ticket_id)
                if row.get("Type") == kind and as_text(row.get("Creator")) == self.me
                and not_before(w3c_time(row.get("Created")), since)]
        wanted = same_text(body)
        return any(same_text(self._content(rt_id(row.get("id")))) == wanted
                   for row in reversed(ours[-OWN_MESSAGES_CHECKED:]))
