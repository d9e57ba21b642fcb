"""The drop-folder connector: poll a folder for ticket files, push changes as files."""

import hashlib
import json
import os
from pathlib import Path

from marshmallow import fields, validate

from hub.sdk import (
    Checkpoint,
    ConfigSchema,
    FatalError,
    PollingSource,
    Pusher,
    PushResult,
    RawEvent,
    SkippableError,
    TicketDraft,
)


class DropFolderConfig(ConfigSchema):
    inbox = fields.String(required=True, metadata={
        "title": "Inbox folder", "description": "Where other systems drop one JSON file per ticket."})
    outbox = fields.String(required=True, metadata={
        "title": "Outbox folder", "description": "Where the hub writes one JSON file per change."})
    pattern = fields.String(load_default="*.json", metadata={
        "title": "File pattern", "description": "Which files in the inbox to read."})
    kind = fields.String(load_default="incident", validate=validate.OneOf(["incident", "change"]), metadata={
        "title": "Ticket kind", "description": "What the files open."})


class DropFolder(PollingSource, Pusher):
    slug = "dropfolder"
    title = "Drop folder"
    version = "1.0.0"
    description = "Reads ticket files dropped into a folder and writes ticket changes as files."
    config_schema = DropFolderConfig
    default_poll_interval = 30

    def _folder(self, name):
        folder = Path(self.config[name])
        if not folder.is_dir():
            raise FatalError(f"{name} {folder} is not a folder")
        return folder

    def check_connection(self):
        inbox, outbox = self._folder("inbox"), self._folder("outbox")
        if not os.access(outbox, os.W_OK):
            raise FatalError(f"cannot write to {outbox}")
        waiting = len(list(inbox.glob(self.config["pattern"])))
        return f"{waiting} file(s) waiting in {inbox}; writing to {outbox}"

    def poll(self, state):
        # Files are read oldest first; the cursor is the (time, name) of the last one,
        # so a file dropped later is read next time and none is read twice.
        cursor = tuple(state.get("after", (0, "")))
        inbox = self._folder("inbox")
        files = sorted((path.stat().st_mtime_ns, path.name) for path in inbox.glob(self.config["pattern"]))
        for mtime, name in files:
            if (mtime, name) <= cursor:
                continue
            data = (inbox / name).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            yield RawEvent(
                idempotency_key=f"{name}:{digest}",
                body=data,
                content_type="application/json",
                meta={"file": name},
            )
            yield Checkpoint({"after": [mtime, name]})

    def normalize(self, event):
        try:
            ticket = json.loads(event.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SkippableError(f"{event.meta['file']} is not JSON: {exc}") from None
        if not isinstance(ticket, dict) or not ticket.get("title"):
            raise SkippableError(f"{event.meta['file']} has no title")
        return TicketDraft(
            kind=self.config["kind"],
            title=str(ticket["title"]),
            description=str(ticket.get("description", "")),
            impact=ticket.get("impact") if ticket.get("impact") in ("low", "medium", "high") else None,
            urgency=ticket.get("urgency") if ticket.get("urgency") in ("low", "medium", "high") else None,
            requester_name=ticket.get("reported_by"),
            external_id=ticket.get("id"),
        )

    def push(self, message):
        # One file per delivery, named by its idempotency key: a retry rewrites the same
        # file instead of adding a second one.
        ticket = message.ticket
        name = f"{ticket.ref}-{message.idempotency_key}.json"
        target = self._folder("outbox") / name
        if not target.exists():
            body = {"ref": ticket.ref, "action": message.action, "status": ticket.status, "title": ticket.title,
                    **message.payload}
            partial = target.with_suffix(".part")
            partial.write_text(json.dumps(body, indent=2, default=str))
            partial.replace(target)
        return PushResult(external_id=ticket.ref, detail=name)
